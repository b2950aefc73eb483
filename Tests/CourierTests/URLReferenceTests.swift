import Testing
@testable import Courier

/// Reference resolution, against the examples of RFC 3986 §5.4.
@Suite struct URLReferenceTests {
    static let base = URLReference(absolute: "http://a/b/c/d;p?q")!

    static let normal: [(String, String)] = [
        ("g:h", "g://h/"),  // a scheme without authority is unusable for HTTP (checked separately)
        ("g", "http://a/b/c/g"), ("./g", "http://a/b/c/g"), ("g/", "http://a/b/c/g/"), ("/g", "http://a/g"),
        ("//g", "http://g/"), ("?y", "http://a/b/c/d;p?y"), ("g?y", "http://a/b/c/g?y"), ("#s", "http://a/b/c/d;p?q"),
        ("g#s", "http://a/b/c/g"), ("g?y#s", "http://a/b/c/g?y"), (";x", "http://a/b/c/;x"), ("g;x", "http://a/b/c/g;x"),
        ("g;x?y#s", "http://a/b/c/g;x?y"), ("", "http://a/b/c/d;p?q"), (".", "http://a/b/c/"), ("./", "http://a/b/c/"),
        ("..", "http://a/b/"), ("../", "http://a/b/"), ("../g", "http://a/b/g"), ("../..", "http://a/"),
        ("../../", "http://a/"), ("../../g", "http://a/g"),
    ]

    static let abnormal: [(String, String)] = [
        ("../../../g", "http://a/g"), ("../../../../g", "http://a/g"), ("/./g", "http://a/g"), ("/../g", "http://a/g"),
        ("g.", "http://a/b/c/g."), (".g", "http://a/b/c/.g"), ("g..", "http://a/b/c/g.."), ("..g", "http://a/b/c/..g"),
        ("./../g", "http://a/b/g"), ("./g/.", "http://a/b/c/g/"), ("g/./h", "http://a/b/c/g/h"), ("g/../h", "http://a/b/c/h"),
        ("g;x=1/./y", "http://a/b/c/g;x=1/y"), ("g;x=1/../y", "http://a/b/c/y"), ("g?y/./x", "http://a/b/c/g?y/./x"),
        ("g?y/../x", "http://a/b/c/g?y/../x"), ("g#s/./x", "http://a/b/c/g"), ("http:g", "http:g"),
    ]

    @Test func rfc3986NormalExamples() {
        for (reference, expected) in Self.normal where reference != "g:h" {
            #expect(URLReference.resolve(reference, against: Self.base)?.string == expected, "\(reference)")
        }
        #expect(URLReference.resolve("g:h", against: Self.base) == nil)
    }

    @Test func rfc3986AbnormalExamples() {
        for (reference, expected) in Self.abnormal where reference != "http:g" {
            #expect(URLReference.resolve(reference, against: Self.base)?.string == expected, "\(reference)")
        }
        // "http:g" is the strict parser's answer (a scheme with no authority): not a usable HTTP URL.
        #expect(URLReference.resolve("http:g", against: Self.base) == nil)
    }

    @Test func sloppyLocationsAreRepaired() {
        let base = URLReference(absolute: "https://example.com/a/b")!
        #expect(URLReference.resolve("  /path with space?q=ä ", against: base)?.string
                == "https://example.com/path%20with%20space?q=%C3%A4")
        #expect(URLReference.resolve("HTTPS://Other.example:8443", against: base)?.string == "https://Other.example:8443/")
        #expect(URLReference.resolve("//user:pw@host.example/x", against: base)?.string == "https://host.example/x")
        #expect(URLReference.resolve("http://host:99999/", against: base) == nil)
        #expect(URLReference.resolve("http:///nohost", against: base) == nil)
    }

    @Test func sameOriginComparesSchemeHostAndEffectivePort() {
        let a = URLReference(absolute: "http://Example.com/x")!
        #expect(a.isSameOrigin(as: URLReference(absolute: "http://example.com:80/y")!))
        #expect(!a.isSameOrigin(as: URLReference(absolute: "https://example.com/y")!))
        #expect(!a.isSameOrigin(as: URLReference(absolute: "http://example.com:8080/y")!))
        #expect(!a.isSameOrigin(as: URLReference(absolute: "http://www.example.com/y")!))
    }
}
