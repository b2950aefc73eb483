// Tests for CourierTransport are added with the module.
import Testing
