// Tests for CourierResilience are added with the module.
import Testing
