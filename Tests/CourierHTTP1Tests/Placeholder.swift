// Tests for CourierHTTP1 are added with the module.
import Testing
