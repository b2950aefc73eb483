import CourierCore

// SETTINGS (RFC 9113 §6.5). The peer's settings apply as soon as they arrive, in order, and are
// acknowledged at once (§6.5.3); a change of SETTINGS_INITIAL_WINDOW_SIZE moves the send window of
// every stream by the difference, possibly below zero, never above 2^31 − 1 (§6.9.2). Ours are
// sent in the preface and take effect when acknowledged: until then the peer may still be using
// the initial values, so our receive windows and HPACK table limit stay at those (§4.3.1, §6.9.3).
// An acknowledgement that does not arrive within `settingsTimeout` is SETTINGS_TIMEOUT (+Timers).

extension HTTP2Connection {
    mutating func receiveSettings(_ frame: HTTP2Frame.Settings) throws(HTTP2Error) {
        if frame.ack {
            guard let settings = pendingLocalSettings else {
                throw .connection(.unexpectedFrame, .protocolError, "SETTINGS ACK without SETTINGS", frame: .settings)
            }
            applyAcknowledged(settings)
            events.append(.settingsAcknowledged)
            return
        }
        guard settingsCounter.record(at: now, limit: configuration.floodLimits.settings) else {
            throw .connection(.settingsFlood, .enhanceYourCalm, "too many SETTINGS frames", frame: .settings)
        }
        if phase == .awaitingSettings { phase = .active }
        receivedRemoteSettings = true
        let previousWindow = remoteSettings.initialWindowSize
        for setting in frame.settings {
            if setting.id == .enablePush && setting.value == 1 && role == .client {
                throw .connection(.invalidSettingValue, .protocolError, "a server set ENABLE_PUSH = 1", frame: .settings)
            }
            remoteSettings.apply(setting)
            if setting.id == .headerTableSize { hpackEncoder.setPeerMaxTableSize(Int(setting.value)) }
        }
        let delta = remoteSettings.initialWindowSize - previousWindow
        if delta != 0 { try moveSendWindows(by: delta) }
        HTTP2FrameEncoder.writeSettingsAck(into: &output)
        try countControlFrame()
        events.append(.remoteSettings(remoteSettings))
        startQueuedStreams()
    }

    /// §6.9.2: every stream we may send on moves by the change of SETTINGS_INITIAL_WINDOW_SIZE.
    mutating func moveSendWindows(by delta: Int) throws(HTTP2Error) {
        var reopened: [HTTP2StreamID] = []
        try streams.forEach { (record: inout HTTP2StreamRecord) throws(HTTP2Error) in
            guard record.state.canSend else { return }
            let window = record.sendWindow + delta
            guard window <= HTTP2Settings.maxWindowSize else {
                throw .connection(.windowOverflow, .flowControlError,
                                  "INITIAL_WINDOW_SIZE puts stream \(record.id) above 2^31 - 1", frame: .settings)
            }
            if record.sendWindow <= 0 && window > 0 && record.blockedOnFlowControl { reopened.append(record.id) }
            record.sendWindow = window
        }
        guard connectionSendWindow > 0 else { return }
        for id in reopened.sorted() {
            streams[active: id].blockedOnFlowControl = false
            events.append(.windowOpened(id))
        }
    }

    /// Our SETTINGS were acknowledged: apply them to what we receive.
    mutating func applyAcknowledged(_ settings: HTTP2Settings) {
        pendingLocalSettings = nil
        settingsDeadline = nil
        if settings.headerTableSize != localSettings.headerTableSize {
            hpackDecoder.setMaxAllowedTableSize(settings.headerTableSize)
        }
        let delta = settings.initialWindowSize - localSettings.initialWindowSize
        localSettings = settings
        if delta != 0 {
            streams.forEach { (record: inout HTTP2StreamRecord) in record.receiveWindow += delta }
        }
    }
}
