// Per-origin connection pools: a pure state machine plus the driver that applies its actions.
import CourierCore
import CourierTransport
