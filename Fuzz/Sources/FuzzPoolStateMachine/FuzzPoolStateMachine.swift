// Turns the fuzzer's bytes into a sequence of pool events (requests arriving and giving up, connections
// establishing as HTTP/1.1 or HTTP/2 or failing, streams closing, SETTINGS, GOAWAY, timers, shutdown) and
// runs it through the model driver, which traps on any illegal action or broken invariant. The model files
// beside this one are links to Tests/CourierPoolTests, so the fuzzer and the tests check the same rules.
import CourierCore
import CourierPool

@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<Int32>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32
) -> Int32

@_cdecl("FuzzPoolStateMachine_main")
func fuzzMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv, testOneInput)
}

func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    guard let data, size > 0 else { return 0 }
    var choices = ByteChoices(Array(UnsafeBufferPointer(start: data, count: size)))
    do {
        // Sequences of a few hundred events reach every state the pool has (the tests run longer seeded
        // ones); the model's per-event checks grow with the number of open requests, so longer inputs
        // made each run quadratic and the fuzzer ten times slower.
        _ = try PoolModel.run(&choices, steps: 400)
    } catch {
        preconditionFailure("pool state machine: \(error)")
    }
    return 0
}
