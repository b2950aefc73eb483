import CourierCore
#if canImport(Glibc)
import Glibc
#endif

/// The parts of a `multipart/form-data` body (RFC 7578): text fields, in-memory files and files on disk,
/// in order. The length is known in advance (files are measured when added), so the body is sent with a
/// `Content-Length` and files are read in chunks while sending, never loaded whole. Send it with
/// `HTTPClientRequestBody.multipart(_:)` or `client.post(url, multipart:)`.
public struct MultipartForm: Sendable {
    enum Content: Sendable {
        case bytes(ByteBuffer)
        case file(path: String, length: Int)
    }

    struct Part: Sendable {
        var header: ByteBuffer
        var content: Content
    }

    /// The boundary between parts (random unless given).
    public let boundary: String
    private(set) var parts: [Part] = []

    /// An empty form. The default boundary is 32 random hexadecimal digits after `courier-`.
    public init(boundary: String? = nil) {
        if let boundary {
            self.boundary = boundary
        } else {
            var generator = SystemRandomNumberGenerator()
            let hex = Array("0123456789abcdef")
            self.boundary = "courier-" + String((0..<32).map { _ in hex[Int(generator.next() % 16)] })
        }
    }

    /// The `Content-Type` of the body, boundary included.
    public var contentType: String { "multipart/form-data; boundary=\(boundary)" }

    /// A text field.
    public mutating func append(name: String, value: String) {
        parts.append(Part(header: header(name: name, filename: nil, contentType: nil), content: .bytes(ByteBuffer(string: value))))
    }

    /// A file given as bytes.
    public mutating func append(name: String, filename: String, contentType: String = "application/octet-stream",
                                data: ByteBuffer) {
        parts.append(Part(header: header(name: name, filename: filename, contentType: contentType), content: .bytes(data)))
    }

    /// A file on disk, streamed when the body is sent (its size is taken now; a file that shrinks before then
    /// fails the request, one that grows is cut at this size). The file name sent defaults to the path's last
    /// component.
    public mutating func appendFile(name: String, path: String, filename: String? = nil,
                                    contentType: String = "application/octet-stream") throws(HTTPClientError) {
        var info = stat()
        guard stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
            throw HTTPClientError(.invalidRequest, "cannot read \(path) (errno \(errno))")
        }
        let shownName = filename ?? String(path.split(separator: "/").last ?? Substring(path))
        parts.append(Part(header: header(name: name, filename: shownName, contentType: contentType),
                          content: .file(path: path, length: Int(info.st_size))))
    }

    /// The body's length in bytes.
    public var length: Int {
        parts.reduce(closing.readableBytes) { total, part in
            let content = switch part.content {
            case .bytes(let buffer): buffer.readableBytes
            case .file(_, let length): length
            }
            return total + part.header.readableBytes + content + 2
        }
    }

    /// `--boundary--` and the final CRLF.
    var closing: ByteBuffer { ByteBuffer(string: "--\(boundary)--\r\n") }

    private func header(name: String, filename: String?, contentType: String?) -> ByteBuffer {
        var text = "--\(boundary)\r\nContent-Disposition: form-data; name=\"\(Self.escape(name))\""
        if let filename { text += "; filename=\"\(Self.escape(filename))\"" }
        text += "\r\n"
        if let contentType { text += "Content-Type: \(Self.stripLineBreaks(contentType))\r\n" }
        text += "\r\n"
        return ByteBuffer(string: text)
    }

    /// Names and file names as the HTML standard encodes them: `"`, CR and LF percent-encoded.
    static func escape(_ text: String) -> String {
        var result = ""
        for character in text.unicodeScalars {
            switch character {
            case "\"": result += "%22"
            case "\r": result += "%0D"
            case "\n": result += "%0A"
            default: result.unicodeScalars.append(character)
            }
        }
        return result
    }

    private static func stripLineBreaks(_ text: String) -> String {
        String(text.unicodeScalars.filter { $0 != "\r" && $0 != "\n" })
    }
}

/// The bytes of a multipart form, produced part by part; files read in chunks of `chunkSize`.
struct MultipartStream: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let form: MultipartForm
    var chunkSize = 64 * 1024

    struct AsyncIterator: AsyncIteratorProtocol {
        let form: MultipartForm
        let chunkSize: Int
        var partIndex = 0
        var stage = Stage.header
        var file: OpenFile?
        var remaining = 0

        enum Stage { case header, content, trailer, closing, done }

        mutating func next() async throws -> ByteBuffer? {
            while true {
                if stage == .done { return nil }
                guard partIndex < form.parts.count else {
                    stage = .done
                    return form.closing
                }
                let part = form.parts[partIndex]
                switch stage {
                case .header:
                    stage = .content
                    return part.header
                case .content:
                    switch part.content {
                    case .bytes(let buffer):
                        stage = .trailer
                        if buffer.readableBytes > 0 { return buffer }
                    case .file(let path, let length):
                        if file == nil {
                            file = try OpenFile(path)
                            remaining = length
                        }
                        if remaining == 0 {
                            file = nil
                            stage = .trailer
                            continue
                        }
                        let wanted = Swift.min(chunkSize, remaining)
                        var chunk = ByteBuffer(capacity: wanted)
                        let descriptor = file!.descriptor
                        let count = chunk.writeWithUnsafeMutableBytes(minimumWritableBytes: wanted) { region in
                            Swift.max(0, read(descriptor, region.baseAddress, wanted))
                        }
                        guard count > 0 else {
                            file = nil
                            throw HTTPClientError(.invalidRequest, "\(path) ended before its \(length) bytes were read")
                        }
                        remaining -= count
                        return chunk
                    }
                case .trailer:
                    stage = .header
                    partIndex += 1
                    return ByteBuffer(string: "\r\n")
                case .closing, .done:
                    return nil
                }
            }
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(form: form, chunkSize: chunkSize) }
}

/// A file open for reading, closed when the last reference goes (a body abandoned mid-file included).
final class OpenFile {
    let descriptor: Int32

    init(_ path: String) throws(HTTPClientError) {
        descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw HTTPClientError(.invalidRequest, "cannot open \(path) (errno \(errno))") }
    }

    deinit { close(descriptor) }
}
