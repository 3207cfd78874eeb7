import NIOCore
import Testing
@testable import WorkflowService

@Suite("AvailableCores")
struct AvailableCoresTests {
    @Test("a Linux CPU list counts its CPUs; anything else is not a list", arguments: [
        ("0", 1), ("0-1", 2), ("0-3,8,10-11", 7), (" 2-2 ", 1),
    ])
    func countsACPUList(list: String, count: Int) {
        #expect(AvailableCores.count(inList: Substring(list)) == count)
    }

    @Test(arguments: ["", "a", "3-1", "1-2-3", "0,,1", "-1"])
    func refusesWhatIsNotACPUList(list: String) {
        #expect(AvailableCores.count(inList: Substring(list)) == nil)
    }

    @Test("the process's own count is at least one and no more than the machine's cores")
    func theProcessCountIsPlausible() {
        #expect((1...System.coreCount).contains(AvailableCores.count))
    }
}
