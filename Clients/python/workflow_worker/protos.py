"""The `workflow.v1` messages and gRPC stubs, generated when the package is built.

`setup.py` runs grpc_tools.protoc on `Protos/workflow/v1/workflow.proto`; nothing generated is
committed. Use these modules to call the rest of the API from the same process (the default
descriptor pool holds one `workflow.v1` file, so import it from here rather than generating a
second copy under another file name)::

    from workflow_worker.protos import workflow_pb2, workflow_pb2_grpc

    stub = workflow_pb2_grpc.WorkflowServiceStub(channel)
    stub.StartWorkflow(workflow_pb2.StartWorkflowRequest(type="REMOTE_IMPORT"))
"""

try:
    from ._generated.workflow.v1 import workflow_pb2, workflow_pb2_grpc
except ImportError as error:  # a source checkout that was never built
    raise ImportError(
        "workflow_worker's generated stubs are missing: they are made when the package is built; "
        "install it with `pip install Clients/python` (or `pip install -e Clients/python`)"
    ) from error

__all__ = ["workflow_pb2", "workflow_pb2_grpc"]
