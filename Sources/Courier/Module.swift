// The public client: configuration, request executor, middleware chain and response streaming.
import CourierCore
import HTTPTypes
