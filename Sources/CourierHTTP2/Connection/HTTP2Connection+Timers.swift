import CourierCore

// Time, given as values: the SETTINGS acknowledgement timeout (RFC 9113 §6.5.3), keep-alive PINGs
// (§6.7, §8.7) and the windows of the flood counters. The driver calls `timeTick(now:)` at
// `nextDeadline` (and may call it more often); nothing here reads a clock.

extension HTTP2Connection {
    /// The earliest time the connection wants `timeTick(now:)` called, or nil when it waits for
    /// nothing.
    public var nextDeadline: Timestamp? {
        guard phase != .closed else { return nil }
        var deadline = settingsDeadline
        func consider(_ time: Timestamp?) {
            if let time, deadline.map({ time < $0 }) ?? true { deadline = time }
        }
        if let keepAlive = configuration.keepAlive {
            consider(keepAlivePing?.deadline ?? lastActivity + keepAlive.interval)
        }
        let limits = configuration.floodLimits
        consider(pingCounter.windowEnd(limits.pings))
        consider(settingsCounter.windowEnd(limits.settings))
        consider(emptyFrameCounter.windowEnd(limits.emptyFrames))
        consider(windowUpdateCounter.windowEnd(limits.smallWindowUpdates))
        consider(priorityCounter.windowEnd(limits.priorityFrames))
        consider(peerResetCounter.windowEnd(limits.peerResets))
        consider(streamErrorCounter.windowEnd(limits.provokedStreamErrors))
        return deadline
    }

    /// Tells the connection the time: expired deadlines act now (a timeout fails the connection
    /// with GOAWAY; an idle connection with keep-alive gets a PING).
    public mutating func timeTick(now time: Timestamp) {
        guard phase != .closed else { return }
        // Frames arrived at some point since the previous tick; taking that tick's time as the
        // moment errs towards an early keep-alive PING rather than a late one.
        if receivedFrameSinceTick {
            receivedFrameSinceTick = false
            lastActivity = now
        }
        if time > now { now = time }
        if let deadline = settingsDeadline, now >= deadline {
            fail(HTTP2Error(.settingsTimeout, scope: .connection, wireCode: .settingsTimeout, origin: .library,
                            detail: "SETTINGS not acknowledged within \(configuration.settingsTimeout)"))
            return
        }
        if let keepAlive = configuration.keepAlive {
            if let ping = keepAlivePing {
                if now >= ping.deadline {
                    fail(HTTP2Error(.keepAliveTimeout, scope: .connection, wireCode: .noError, origin: .library,
                                    detail: "keep-alive PING not acknowledged within \(keepAlive.timeout)"))
                    return
                }
            } else if now >= lastActivity + keepAlive.interval {
                pingSequence &+= 1
                let data = HTTP2PingData(0x6b65_6570_0000_0000 | (pingSequence & 0xffff_ffff))  // "keep" + counter
                HTTP2FrameEncoder.writePing(data, ack: false, into: &output)
                keepAlivePing = (data, now + keepAlive.timeout)
            }
        }
        let limits = configuration.floodLimits
        pingCounter.expire(at: now, limit: limits.pings)
        settingsCounter.expire(at: now, limit: limits.settings)
        emptyFrameCounter.expire(at: now, limit: limits.emptyFrames)
        windowUpdateCounter.expire(at: now, limit: limits.smallWindowUpdates)
        priorityCounter.expire(at: now, limit: limits.priorityFrames)
        peerResetCounter.expire(at: now, limit: limits.peerResets)
        streamErrorCounter.expire(at: now, limit: limits.provokedStreamErrors)
    }
}
