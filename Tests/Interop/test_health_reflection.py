"""grpc.health.v1 and server reflection with the stock Python clients (grpcio-health-checking,
grpcio-reflection), and health during shutdown."""

import threading

import grpc
import pytest
from google.protobuf import descriptor_pool
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import ProtoReflectionDescriptorDatabase

from conftest import WORKER_SERVICE, WORKFLOW_SERVICE, Server, grpc_proto_file, method_path
from workflow.v1 import workflow_pb2 as pb

SERVICE = WORKFLOW_SERVICE.full_name
HEALTH = health_pb2.DESCRIPTOR.services_by_name["Health"]
REFLECTION_V1ALPHA = reflection_pb2.DESCRIPTOR.services_by_name["ServerReflection"]
REFLECTION_V1 = grpc_proto_file("grpc/reflection/v1/reflection.proto").services_by_name["ServerReflection"]


def test_health_check_whole_server_and_service(channel):
    health = health_pb2_grpc.HealthStub(channel)
    for name in ["", SERVICE, WORKER_SERVICE.full_name]:
        answer = health.Check(health_pb2.HealthCheckRequest(service=name), timeout=5)
        assert answer.status == health_pb2.HealthCheckResponse.SERVING


def test_health_check_unknown_service_is_not_found(channel):
    health = health_pb2_grpc.HealthStub(channel)
    with pytest.raises(grpc.RpcError) as error:
        health.Check(health_pb2.HealthCheckRequest(service="no.such.Service"), timeout=5)
    assert error.value.code() == grpc.StatusCode.NOT_FOUND


def test_health_watch_sends_the_current_status_then_not_serving_on_shutdown():
    server = Server()
    with grpc.insecure_channel(server.address) as channel:
        health = health_pb2_grpc.HealthStub(channel)
        watch = health.Watch(health_pb2.HealthCheckRequest(service=""), timeout=30)
        assert next(watch).status == health_pb2.HealthCheckResponse.SERVING
        unknown = health.Watch(health_pb2.HealthCheckRequest(service="no.such.Service"), timeout=30)
        assert next(unknown).status == health_pb2.HealthCheckResponse.SERVICE_UNKNOWN
        unknown.cancel()
        server.process.terminate()
        assert next(watch).status == health_pb2.HealthCheckResponse.NOT_SERVING
        with pytest.raises(grpc.RpcError) as error:
            next(watch)
        assert error.value.code() == grpc.StatusCode.UNAVAILABLE
    server.process.wait(timeout=20)
    assert server.process.returncode == 0


def test_reflection_lists_the_services(channel):
    database = ProtoReflectionDescriptorDatabase(channel)
    services = database.get_services()
    assert set(services) == {
        service.full_name for service in (WORKFLOW_SERVICE, WORKER_SERVICE, HEALTH, REFLECTION_V1ALPHA, REFLECTION_V1)
    }


@pytest.mark.parametrize("expected_service", [WORKFLOW_SERVICE, WORKER_SERVICE], ids=lambda service: service.name)
def test_reflection_describes_the_service_and_its_messages(channel, expected_service):
    pool = descriptor_pool.DescriptorPool(ProtoReflectionDescriptorDatabase(channel))
    service = pool.FindServiceByName(expected_service.full_name)
    methods = {method.name: method for method in service.methods}
    assert set(methods) == set(expected_service.methods_by_name)
    for name, expected in expected_service.methods_by_name.items():
        described = methods[name]
        assert described.input_type.full_name == expected.input_type.full_name
        assert described.output_type.full_name == expected.output_type.full_name
        assert (described.client_streaming, described.server_streaming) == (expected.client_streaming, expected.server_streaming)
    assert "params" in pool.FindMessageTypeByName(pb.StartWorkflowRequest.DESCRIPTOR.full_name).fields_by_name
    # grpcio-health-checking names its copy grpc_health/v1/health.proto; the server has grpc-proto's.
    assert pool.FindFileContainingSymbol(HEALTH.full_name).name == "grpc/health/v1/health.proto"


def test_reflection_v1_answers_in_one_stream_as_requests_arrive(channel):
    """Both versions; each answer arrives before the next request is sent."""
    for path in [method_path(REFLECTION_V1, "ServerReflectionInfo"), method_path(REFLECTION_V1ALPHA, "ServerReflectionInfo")]:
        call = channel.stream_stream(path, request_serializer=reflection_pb2.ServerReflectionRequest.SerializeToString,
                                     response_deserializer=reflection_pb2.ServerReflectionResponse.FromString)
        requests = [
            reflection_pb2.ServerReflectionRequest(list_services=""),
            reflection_pb2.ServerReflectionRequest(file_by_filename=WORKFLOW_SERVICE.file.name),
            reflection_pb2.ServerReflectionRequest(file_containing_symbol=WORKFLOW_SERVICE.methods_by_name["GetWorkflow"].full_name),
            reflection_pb2.ServerReflectionRequest(file_containing_symbol="no.Such"),
        ]
        ready = threading.Event()
        sent = []

        def feed():
            for request in requests:
                sent.append(request)
                yield request
                ready.wait(10)
                ready.clear()

        answers = []
        for answer in call(feed(), timeout=10):
            assert len(answers) == len(sent) - 1 or len(answers) < len(sent), "answered before asked"
            answers.append(answer)
            ready.set()
        assert len(answers) == 4
        assert SERVICE in [s.name for s in answers[0].list_services_response.service]
        assert answers[1].original_request.file_by_filename == WORKFLOW_SERVICE.file.name
        assert len(answers[1].file_descriptor_response.file_descriptor_proto) >= 1
        assert len(answers[2].file_descriptor_response.file_descriptor_proto) >= 1
        assert answers[3].error_response.error_code == grpc.StatusCode.NOT_FOUND.value[0]
