// Tests for CourierHTTP2 are added with the module.
import Testing
