// Feeds arbitrary strings to the client's URL parsing (`HTTPClient.request(_:_:)`), the path every request
// made from a URL string takes. Checks: no crash or trap, and an accepted URL gives an http(s) or unix-socket
// request with a non-empty authority (for unix-socket URLs, the encoded socket path), a path that starts with
// "/", no fragment, and no space or control byte anywhere.
import Courier

@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<Int32>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32
) -> Int32

@_cdecl("FuzzURLParsing_main")
func fuzzMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv, testOneInput)
}

func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    guard let data else { return 0 }
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    for candidate in [text, "http://" + text, "https://h" + text] {
        guard let request = try? HTTPClient.request(.get, candidate) else { continue }
        // Unix-socket URLs carry the socket's path, percent-encoded, as their host (`http+unix://%2Ftmp%2Fa.sock/x`).
        precondition(["http", "https", "http+unix", "https+unix"].contains(request.scheme ?? ""),
                     "accepted scheme \(request.scheme ?? "nil")")
        let authority = request.authority ?? ""
        let path = request.path ?? ""
        precondition(!authority.isEmpty, "accepted an empty authority")
        precondition(path.hasPrefix("/"), "path \(path) does not start with /")
        precondition(!path.contains("#"), "the fragment was kept")
        precondition(!(authority + path).utf8.contains { $0 <= 0x20 || $0 == 0x7f }, "a space or control byte was kept")
    }
    return 0
}
