import Foundation
import Logging
import Testing
import WorkflowEngine
import WorkflowModel
import WorkflowStore

@Suite struct SQLiteEventStoreTests {
    @Test func placeholder() {}
}
