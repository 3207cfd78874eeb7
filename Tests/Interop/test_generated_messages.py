"""Adding a field to workflow.proto and running the generator is all it takes for it to be
encodable and decodable in Swift.

A copy of Protos/workflow/v1/workflow.proto gains fields of every kind in `Step`; protoc-c and
the built `generate-swift-messages` turn it into C and Swift in a small temporary package (the
C target, the generated Swift over MessageRuntime's sources, and an executable); Python's
protobuf, with stubs generated from the same copy, then decodes what Swift encodes and encodes
what Swift decodes. Needs protoc and protoc-c (Scripts/install-deps.sh --tests) and a built
generator (`swift build`, or GENERATE_SWIFT_MESSAGES naming one).
"""

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

ADDED_TO_STEP = """
  // Added by test_generated_messages.py: one field of each kind.
  string note = 100;
  repeated string tags = 101;
  map<string, int32> weights = 102;
  Priority priority = 103;
  Attachment attachment = 104;
  repeated Attachment attachments = 105;
  bytes payload = 106;
  bool urgent = 107;
  double score = 108;
  oneof target {
    string url = 109;
    Attachment file = 110;
  }
  // A keyword in C and in Swift.
  string default = 111;

  enum Priority {
    PRIORITY_UNSPECIFIED = 0;
    PRIORITY_LOW = 1;
    PRIORITY_HIGH = 2;
  }
  message Attachment {
    string name = 1;
    int64 size = 2;
  }
"""

# A new message whose names Swift, C or the generated code already use.
ADDED_MESSAGE = """
// Added by test_generated_messages.py: names that need care in Swift and C.
message OddNames {
  message Type {
    string name = 1;
  }
  enum Mode {
    MODE_UNSPECIFIED = 0;
    MODE_SELF = 1;
    MODE_RAW_VALUE = 2;
    MODE_404 = 3;
    MODE_NEGATIVE = -1;
  }
  string self = 1;
  string init = 2;
  string serialized_bytes = 3;
  repeated string register = 4;
  Type type = 5;
  Mode mode = 6;
  oneof kind {
    string in = 7;
    Type protocol = 8;
  }
  map<string, Mode> modes = 9;
  // Shapes the Step fields above do not have.
  map<string, Type> by_name = 10;
  map<bool, string> flags = 11;
  oneof pick {
    bytes blob = 12;
    Mode picked = 13;
  }
  // A message named like a Swift type the generated code uses.
  message String {
    string value = 1;
  }
  String label = 14;
}
"""

# What the Swift executable sets in OddNames (`odd`), as the Python helper prints it.
SWIFT_ODD_NAMES = {
    "self": "s", "init": "i", "serialized_bytes": "b", "register": ["r1", "r2"], "type": {"name": "t"}, "mode": 2,
    "protocol": {"name": "p"}, "modes": {"x": 3, "y": 1, "z": -1},
    "by_name": {"a": {"name": "A"}, "b": {"name": ""}}, "flags": {"false": "off", "true": "on"}, "blob": [0, 255],
    "label": {"value": "l"},
}

# The Step the Swift executable encodes (`encode`), as the Python helper prints it.
SWIFT_STEP = {
    "id": "s-1", "message": "Created P-101", "level": 3, "entity": None, "timestamp_ms": 0, "sequence": 0, "attempt": 2,
    "note": "Zoë ✓ — 日本語 🚀 \"quoted\" \\ tab\t", "tags": ["red", "", "blue"],
    "weights": {"a": 1, "b": -2, "max": 2**31 - 1}, "priority": 2,
    "attachment": {"name": "log.txt", "size": 2**40}, "attachments": [{"name": "a", "size": 0}, {"name": "", "size": -1}],
    "payload": [0, 1, 254, 255], "urgent": True, "score": 0.1, "url": "https://example.test/x", "default": "yes",
}

# The Step Python encodes for the Swift executable to decode (`decode`): other values, the
# oneof's message member, an unknown enum value.
PYTHON_STEP = {
    "id": "s-2", "message": "", "level": 0, "entity": {"tag": "P-7", "route": "/p/7", "id": "7", "type": "asset"},
    "timestamp_ms": -5, "sequence": 2**64 - 1, "attempt": 0,
    "note": "", "tags": ["only ✓"], "weights": {"ünï": -(2**31)}, "priority": 77,
    "attachment": None, "attachments": [],
    "payload": list(range(256)), "urgent": False, "score": -1.5e300, "file": {"name": "f.bin", "size": 3}, "default": "",
}

MAIN_SWIFT = r"""
import MessageRuntime
import WorkflowMessages

// encode: prints a Step with every added field set, as hex. decode: reads a Step as hex on
// stdin and prints it as JSON. nested: prints a nested message alone, as hex. odd: prints an
// OddNames, as hex, after checking that it decodes back to itself.

func hex(_ bytes: [UInt8]) -> String {
    bytes.map { byte in String(byte, radix: 16).count == 1 ? "0" + String(byte, radix: 16) : String(byte, radix: 16) }.joined()
}

func bytes(hex: String) -> [UInt8] {
    var result: [UInt8] = []
    var index = hex.startIndex
    while index < hex.endIndex {
        let next = hex.index(index, offsetBy: 2)
        result.append(UInt8(hex[index..<next], radix: 16)!)
        index = next
    }
    return result
}

func json(_ text: String) -> String {
    var result = "\""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\"": result += "\\\""
        case "\\": result += "\\\\"
        case _ where scalar.value < 0x20: result += "\\u00" + (scalar.value < 0x10 ? "0" : "") + String(scalar.value, radix: 16)
        default: result.unicodeScalars.append(scalar)
        }
    }
    return result + "\""
}

func json(_ object: [(String, String)]) -> String {
    "{" + object.map { "\(json($0.0)): \($0.1)" }.joined(separator: ", ") + "}"
}

func json(_ attachment: WorkflowV1.Step.Attachment?) -> String {
    guard let attachment else { return "null" }
    return json([("name", json(attachment.name)), ("size", String(attachment.size))])
}

func json(_ entity: WorkflowV1.EntityRef?) -> String {
    guard let entity else { return "null" }
    return json([("tag", json(entity.tag)), ("route", json(entity.route)), ("id", json(entity.id)), ("type", json(entity.type))])
}

func json(_ step: WorkflowV1.Step) -> String {
    var fields: [(String, String)] = [
        ("id", json(step.id)), ("message", json(step.message)), ("level", String(step.level.rawValue)),
        ("entity", json(step.entity)), ("timestamp_ms", String(step.timestampMs)), ("sequence", String(step.sequence)),
        ("attempt", String(step.attempt)), ("note", json(step.note)),
        ("tags", "[" + step.tags.map { json($0) }.joined(separator: ", ") + "]"),
        ("weights", json(step.weights.sorted { $0.key < $1.key }.map { ($0.key, String($0.value)) })),
        ("priority", String(step.priority.rawValue)), ("attachment", json(step.attachment)),
        ("attachments", "[" + step.attachments.map { json($0) }.joined(separator: ", ") + "]"),
        ("payload", "[" + step.payload.map(String.init).joined(separator: ", ") + "]"),
        ("urgent", String(step.urgent)), ("score", String(step.score)), ("default", json(step.default)),
    ]
    switch step.target {
    case .url(let url)?: fields.append(("url", json(url)))
    case .file(let file)?: fields.append(("file", json(file)))
    case nil: break
    }
    return json(fields)
}

let step = WorkflowV1.Step(
    id: "s-1", message: "Created P-101", level: .warn, attempt: 2,
    note: "Zoë ✓ — 日本語 🚀 \"quoted\" \\ tab\t", tags: ["red", "", "blue"], weights: ["a": 1, "b": -2, "max": .max],
    priority: .high, attachment: WorkflowV1.Step.Attachment(name: "log.txt", size: 1 << 40),
    attachments: [WorkflowV1.Step.Attachment(name: "a"), WorkflowV1.Step.Attachment(size: -1)],
    payload: [0, 1, 254, 255], urgent: true, score: 0.1, target: .url("https://example.test/x"), default: "yes"
)

switch CommandLine.arguments.dropFirst().first {
case "encode":
    print(hex(step.serializedBytes()))
case "decode":
    let decoded = try WorkflowV1.Step(serializedBytes: bytes(hex: readLine() ?? ""))
    print(json(decoded))
case "nested":
    print(hex(WorkflowV1.Step.Attachment(name: "alone", size: 42).serializedBytes()))
case "odd":
    let odd = WorkflowV1.OddNames(
        self_: "s", init_: "i", serializedBytes_: "b", register: ["r1", "r2"], type: WorkflowV1.OddNames.Type_(name: "t"),
        mode: .rawValue_, kind: .protocol(WorkflowV1.OddNames.Type_(name: "p")), modes: ["x": ._404, "y": .self_, "z": .negative],
        byName: ["a": WorkflowV1.OddNames.Type_(name: "A"), "b": WorkflowV1.OddNames.Type_()], flags: [true: "on", false: "off"],
        pick: .blob([0, 255]), label: WorkflowV1.OddNames.String_(value: "l")
    )
    let picked = WorkflowV1.OddNames(pick: .picked(.negative))
    let pickedDecoded = try WorkflowV1.OddNames(serializedBytes: picked.serializedBytes())
    precondition(pickedDecoded == picked, "an enum oneof member does not decode to itself")
    let decoded = try WorkflowV1.OddNames(serializedBytes: odd.serializedBytes())
    precondition(decoded == odd, "OddNames does not decode to itself")
    print(hex(odd.serializedBytes()))
default:
    fatalError("usage: roundtrip encode|decode|nested|odd")
}
"""

PACKAGE_SWIFT = """// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "GeneratedMessagesCheck",
    targets: [
        .target(name: "CWorkflowProtos", linkerSettings: [.linkedLibrary("protobuf-c")]),
        .target(name: "MessageRuntime"),
        .target(name: "WorkflowMessages", dependencies: ["CWorkflowProtos", "MessageRuntime"]),
        .executableTarget(name: "roundtrip", dependencies: ["WorkflowMessages", "MessageRuntime"]),
    ],
    swiftLanguageModes: [.v6]
)
"""

# Run with the stubs generated from the changed proto, in a process of its own: the suite's
# conftest has already loaded the unchanged workflow.proto into this process's descriptor pool.
PB_HELPER = r"""
import json, sys
from workflow.v1 import workflow_pb2 as pb

def repeated(field):
    return field.is_repeated if hasattr(field, "is_repeated") else field.label == field.LABEL_REPEATED

def is_map(field):
    return field.message_type is not None and field.message_type.GetOptions().map_entry

def plain(message):
    values = {}
    for field in message.DESCRIPTOR.fields:
        value = getattr(message, field.name)
        if field.containing_oneof is not None and not message.HasField(field.name):
            continue
        if is_map(field):
            value_field = field.message_type.fields_by_name["value"]
            values[field.name] = {key: plain(item) if value_field.message_type else item for key, item in value.items()}
        elif repeated(field):
            values[field.name] = [plain(item) if field.message_type else item for item in value]
        elif field.message_type is not None:
            values[field.name] = plain(value) if message.HasField(field.name) else None
        elif field.type == field.TYPE_BYTES:
            values[field.name] = list(value)
        else:
            values[field.name] = value
    return values

def fill(message, values):
    for name, value in values.items():
        field = message.DESCRIPTOR.fields_by_name[name]
        if value is None:
            continue
        if is_map(field):
            getattr(message, name).update(value)
        elif repeated(field) and field.message_type is not None:
            for item in value:
                fill(getattr(message, name).add(), item)
        elif repeated(field):
            getattr(message, name).extend(value)
        elif field.message_type is not None:
            fill(getattr(message, name), value)
            getattr(message, name).SetInParent()
        elif field.type == field.TYPE_BYTES:
            setattr(message, name, bytes(value))
        else:
            setattr(message, name, value)
    return message

command = sys.argv[1]
if command == "decode":
    print(json.dumps(plain(pb.Step.FromString(bytes.fromhex(sys.argv[2])))))
elif command == "decode-attachment":
    print(json.dumps(plain(pb.Step.Attachment.FromString(bytes.fromhex(sys.argv[2])))))
elif command == "decode-odd-names":
    print(json.dumps(plain(pb.OddNames.FromString(bytes.fromhex(sys.argv[2])))))
elif command == "encode":
    print(fill(pb.Step(), json.loads(sys.stdin.read())).SerializeToString().hex())
"""


def require_tool(name: str) -> str:
    path = shutil.which(name)
    assert path, f"{name} is not on PATH: run Scripts/install-deps.sh --tests"
    return path


def run(arguments: list, **options) -> str:
    result = subprocess.run([str(argument) for argument in arguments], capture_output=True, text=True, timeout=900, **options)
    assert result.returncode == 0, f"{arguments[0]} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
    return result.stdout


class Package:
    """The temporary Swift package, built, and the Python stubs of the changed proto."""

    def __init__(self, directory: Path):
        self.directory = directory
        self.executable = directory / "package/.build/debug/roundtrip"
        self.python_stubs = directory / "python"

    def swift(self, command: str, stdin: str = "") -> str:
        return run([self.executable, command], input=stdin).strip()

    def python(self, *arguments: str, stdin: str = "") -> str:
        return run([sys.executable, self.python_stubs / "pb_helper.py", *arguments], input=stdin).strip()


def changed_workflow_proto() -> str:
    original = (ROOT / "Protos/workflow/v1/workflow.proto").read_text()
    start = original.index("message Step {")
    end = original.index("\n}\n", start)
    return original[:end] + "\n" + ADDED_TO_STEP + original[end:] + ADDED_MESSAGE


@pytest.fixture(scope="module")
def package(tmp_path_factory):
    protoc_c, protoc, swift = require_tool("protoc-c"), require_tool("protoc"), require_tool("swift")
    generator = Path(os.environ.get("GENERATE_SWIFT_MESSAGES", ROOT / ".build/debug/generate-swift-messages"))
    assert generator.exists(), f"{generator} does not exist: build it first (swift build) or set GENERATE_SWIFT_MESSAGES"

    directory = tmp_path_factory.mktemp("generated-messages")
    protos, c_out, sources = directory / "protos", directory / "c", directory / "package/Sources"
    (protos / "workflow/v1").mkdir(parents=True)
    (protos / "workflow/v1/workflow.proto").write_text(changed_workflow_proto())

    # What Scripts/generate-protos.sh does, into the temporary package.
    c_out.mkdir()
    run([protoc_c, f"--proto_path={protos}", f"--c_out={c_out}", "workflow/v1/workflow.proto"])
    (sources / "CWorkflowProtos/include/workflow/v1").mkdir(parents=True)
    shutil.copy(c_out / "workflow/v1/workflow.pb-c.c", sources / "CWorkflowProtos/workflow.pb-c.c")
    shutil.copy(c_out / "workflow/v1/workflow.pb-c.h", sources / "CWorkflowProtos/include/workflow/v1/workflow.pb-c.h")
    run([protoc, f"--proto_path={protos}", "--include_imports", "--include_source_info",
         f"--descriptor_set_out={directory / 'sources.desc'}", "workflow/v1/workflow.proto"])
    (sources / "WorkflowMessages/Generated").mkdir(parents=True)
    run([generator, "--descriptor-set", directory / "sources.desc", "--output", sources / "WorkflowMessages/Generated/WorkflowV1.pb.swift",
         "--file", "workflow/v1/workflow.proto", "--namespace", "WorkflowV1", "--c-module", "CWorkflowProtos"])
    (sources / "WorkflowMessages/WorkflowV1.swift").write_text("public enum WorkflowV1 {}\n")
    (sources / "MessageRuntime").symlink_to(ROOT / "Sources/MessageRuntime", target_is_directory=True)
    (sources / "roundtrip").mkdir()
    (sources / "roundtrip/main.swift").write_text(MAIN_SWIFT)
    (directory / "package/Package.swift").write_text(PACKAGE_SWIFT)

    started = time.monotonic()
    run([swift, "build", "--package-path", directory / "package", "--scratch-path", directory / "package/.build"])
    print(f"temporary package built in {time.monotonic() - started:.1f} s")

    python_stubs = directory / "python"
    python_stubs.mkdir()
    run([sys.executable, "-m", "grpc_tools.protoc", f"-I{protos}", f"--python_out={python_stubs}", "workflow/v1/workflow.proto"])
    (python_stubs / "pb_helper.py").write_text(PB_HELPER)

    yield Package(directory)
    shutil.rmtree(directory, ignore_errors=True)


def test_python_decodes_every_added_field_swift_encodes(package):
    encoded = package.swift("encode")
    assert json.loads(package.python("decode", encoded)) == SWIFT_STEP


def test_swift_decodes_every_added_field_python_encodes(package):
    encoded = package.python("encode", stdin=json.dumps(PYTHON_STEP))
    assert json.loads(package.swift("decode", stdin=encoded)) == PYTHON_STEP


def test_a_new_nested_message_encodes_on_its_own(package):
    assert json.loads(package.python("decode-attachment", package.swift("nested"))) == {"name": "alone", "size": 42}


def test_names_swift_and_c_already_use_compile_and_encode(package):
    assert json.loads(package.python("decode-odd-names", package.swift("odd"))) == SWIFT_ODD_NAMES


def test_the_swift_encoding_decodes_back_to_the_same_step_in_swift(package):
    assert json.loads(package.swift("decode", stdin=package.swift("encode"))) == SWIFT_STEP
