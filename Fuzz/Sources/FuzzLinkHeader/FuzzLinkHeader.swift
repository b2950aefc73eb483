// Feeds arbitrary `Link` field values (RFC 8288) to the parser pagination uses. Checks: no crash or trap,
// no hang, and a bounded result (never more links than the value has '<' characters, nor targets longer
// than the value).
import Courier

@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<Int32>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32
) -> Int32

@_cdecl("FuzzLinkHeader_main")
func fuzzMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv, testOneInput)
}

func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    guard let data else { return 0 }
    let value = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    let links = WebLink.parse(value)
    let opens = value.utf8.reduce(0) { $0 + ($1 == UInt8(ascii: "<") ? 1 : 0) }
    precondition(links.count <= opens, "\(links.count) links from \(opens) '<'")
    for link in links {
        precondition(link.target.utf8.count <= value.utf8.count, "a target longer than the field")
        for relation in link.relations { precondition(!relation.isEmpty, "an empty relation") }
    }
    var fields = HTTPFields()
    fields.append(HTTPField(name: HTTPField.Name("link")!, value: value))
    _ = WebLink.links(in: fields)
    return 0
}
