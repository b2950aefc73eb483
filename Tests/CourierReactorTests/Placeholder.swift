// Tests for CourierReactor are added with the module.
import Testing
