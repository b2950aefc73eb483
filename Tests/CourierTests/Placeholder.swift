// Tests for Courier are added with the module.
import Testing
