// The currency types of Courier's API: requests and responses from swift-http-types, bytes as ByteBuffer.
@_exported import HTTPTypes
@_exported import struct CourierCore.ByteBuffer
@_exported import struct CourierCore.ByteBufferView
@_exported import struct CourierTransport.Origin
@_exported import enum CourierTransport.HTTPVersionPolicy
@_exported import enum CourierTransport.HTTPProtocolVersion
@_exported import struct CourierTLS.TLSClientConfiguration
@_exported import enum CourierTLS.TLSTrustRoots
@_exported import enum CourierTLS.TLSPEMSource
@_exported import struct CourierTLS.TLSCertificateKeyPair
@_exported import struct CourierTLS.TLSPublicKeyPin
@_exported import enum CourierTLS.TLSVersion
@_exported import enum CourierTLS.TLSCertificateVerification
@_exported import struct CourierTLS.TLSCertificateInfo
@_exported import class CourierTLS.SHA256Hasher
@_exported import class CourierReactor.EventLoopGroup
@_exported import class CourierReactor.EventLoop
