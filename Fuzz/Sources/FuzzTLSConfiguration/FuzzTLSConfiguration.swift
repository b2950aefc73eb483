// Feeds untrusted configuration text to CourierTLS: PEM bundles and chains, pins, server host names and
// certificate names. Everything must either work or fail with a typed error; nothing may crash or leak.
import CourierCore
import CourierTLS

@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<Int32>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32
) -> Int32

@_cdecl("FuzzTLSConfiguration_main")
func fuzzMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv, testOneInput)
}

let authority = try! TLSCertificateAuthority()
let leaf = try! authority.issueLocalhost()
let clientContext = try! TLSClientContext(configuration: TLSClientConfiguration())

func expectTyped(_ body: () throws -> Void) {
    do { try body() } catch let error as TLSError {
        precondition(!error.detail.isEmpty, "an error without a detail")
        precondition(error.code == .invalidConfiguration, "unexpected error code \(error.code)")
    } catch {
        preconditionFailure("untyped error \(error)")
    }
}

func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    guard let data, size > 0 else { return 0 }
    let input = UnsafeBufferPointer(start: data, count: size)
    let text = String(decoding: input.dropFirst(), as: UTF8.self)
    switch input[0] % 5 {
    case 0:
        var configuration = TLSClientConfiguration()
        configuration.trustRoots = .custom(.pem(text))
        expectTyped { _ = try TLSClientContext(configuration: configuration) }
    case 1:
        let pair = TLSCertificateKeyPair(certificateChain: .pem(text), privateKey: .pem(leaf.privateKeyPEM))
        expectTyped { _ = try TLSServerContext(configuration: TLSServerConfiguration(certificate: pair)) }
    case 2:
        let pair = TLSCertificateKeyPair(certificateChain: .pem(leaf.chainPEM), privateKey: .pem(text))
        expectTyped { _ = try TLSServerContext(configuration: TLSServerConfiguration(certificate: pair)) }
    case 3:
        if let pin = TLSPublicKeyPin(base64: text) {
            precondition(pin.sha256.count == 32)
            precondition(TLSPublicKeyPin(base64: pin.description) == pin, "pin does not round-trip")
        }
        expectTyped { _ = try TLSEngine(context: clientContext, serverHostname: text, port: 443) }
    default:
        let names = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        expectTyped {
            let issued = try authority.issue(commonName: names.first ?? "", dnsNames: Array(names.dropFirst().prefix(4)))
            // Whatever was accepted must load back and describe itself.
            _ = try TLSServerContext(configuration: TLSServerConfiguration(certificate: issued.keyPair))
        }
    }
    return 0
}
