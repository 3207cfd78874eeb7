/// `.proto` files the tests compile with the real protoc and protoc-c, by path.
enum TestProtos {
    /// Names that exercise every naming rule: a package with an underscore and digits, nested
    /// messages and enums, a map, oneofs, acronyms, camelCase and snake_case declarations, and
    /// fields named after C and Swift keywords (`self` and `init` even Swift cannot read bare).
    static let naming: [String: String] = ["acme/naming.proto": #"""
        syntax = "proto3";
        package acme_corp.tools.v1alpha;

        message HealthCheckResponse {
          enum ServingStatus {
            UNKNOWN = 0;
            SERVING = 1;
            NOT_SERVING = 2;
          }
          message InnerPart {
            string workflow_id = 1;
          }
          ServingStatus status = 1;
          InnerPart inner_part = 2;
          map<string, int32> counters_by_name = 3;
          oneof message_request {
            string file_by_filename = 4;
            InnerPart inner = 5;
            int64 fileContainingSymbol = 6;
          }
          string default = 7;
          repeated string int = 8;
          string camelCaseName = 9;
          repeated InnerPart register = 10;
          bytes class = 11;
          string self = 12;
          string init = 13;
        }

        message HTTPHeader {
          string name = 1;
        }

        message URLRef2Go {
          oneof pickOne {
            string first_choice = 1;
            bool second = 2;
          }
        }

        message snake_case_msg {
          repeated HTTPHeader headers = 1;
        }

        enum LOUD_ENUM {
          LOUD_ENUM_UNSPECIFIED = 0;
        }

        enum HTTPStatus {
          HTTP_STATUS_UNSPECIFIED = 0;
          HTTP_STATUS_OK = 1;
          HTTP_STATUS_404 = 2;
        }

        service NameService {
          rpc Check(HealthCheckResponse) returns (HTTPHeader);
        }
        """#]

    /// Every kind of declaration the parser reads, with every kind of comment protoc records.
    static let shapes: [String: String] = ["shapes/v1/shapes.proto": #"""
        // A detached comment: protoc keeps it apart, and it documents nothing.

        syntax = "proto3";

        package shapes.v1;

        import "shapes/v1/common.proto";

        // Draws shapes.
        // Second line of the service comment.
        service Canvas {
          // Draws one shape.
          rpc Draw(Shape) returns (common.v1.Ack);
          rpc Watch(Shape) returns (stream Shape); // Follows a shape.
          rpc Upload(stream Shape) returns (common.v1.Ack);
          rpc Chat(stream Shape) returns (stream Shape);
        }

        // How a shape is filled.
        enum Fill {
          FILL_UNSPECIFIED = 0;
          // Solid colour.
          FILL_SOLID = 1;
          FILL_NONE = -1; // Outline only.
        }

        /* A block comment
         * over two lines. */
        message Shape {
          // A point on the canvas.
          message Point {
            sint32 x = 1;
            sfixed64 y = 2;
          }
          enum Kind {
            KIND_UNSPECIFIED = 0;
            KIND_CIRCLE = 1;
          }

          string name = 1; // Trailing comment of name.
          repeated Point points = 2;
          map<string, Point> anchors = 3;
          Kind kind = 4;
          Fill fill = 5;
          // Leading wins over trailing.
          double area = 536870911; // Not this one.
          // Which colour model.
          oneof colour {
            fixed32 rgb = 7;
            string named = 8;
            common.v1.Ack reference = 9;
          }
          repeated uint64 ids = 10;
          bytes blob = 11;
          bool visible = 12;
          float scale = 13;
          common.v1.Ack ack = 14;
        }
        """#,
        "shapes/v1/common.proto": #"""
        syntax = "proto3";

        package common.v1;

        message Ack {}
        """#,
    ]
}
