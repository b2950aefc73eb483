// Tests for CourierHPACK are added with the module.
import Testing
