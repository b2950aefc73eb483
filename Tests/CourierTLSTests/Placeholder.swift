// Tests for CourierTLS are added with the module.
import Testing
