import Logging

/// Where the client logs (swift-log): security warnings always; request details at debug level.
enum HTTPClientLogging {
    static let logger = Logger(label: "courier")
}
