// Tests for CourierPool are added with the module.
import Testing
