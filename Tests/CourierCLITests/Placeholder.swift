// Tests for CourierTestServer are added with the module.
import Testing
