"""docs/openapi.yaml against the real HTTP side port: every route it names answers (no "no such
route"), every query parameter it names is a field the route reads, and every member of the
answers it describes is in its schema, so the document cannot drift from the server."""
import hashlib
import http.client
import json
import time
from pathlib import Path
from urllib.parse import urlencode

import pytest
import yaml

from conftest import ROOT, Server

DOCUMENT = yaml.safe_load((ROOT / "docs/openapi.yaml").read_text())
SCHEMAS = DOCUMENT["components"]["schemas"]


def resolve(node: dict) -> dict:
    while "$ref" in node:
        node = SCHEMAS[node["$ref"].rsplit("/", 1)[1]] if "/schemas/" in node["$ref"] else \
            DOCUMENT["components"]["parameters"][node["$ref"].rsplit("/", 1)[1]]
    return node


@pytest.fixture(scope="module")
def server():
    server = Server()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def finished(server) -> str:
    answer = request(server, "POST", "/api/v1/workflows", {"type": "TEST", "params": {"jobs": "2", "steps": "2", "step_delay_ms": "0"}})
    workflow_id = answer[1]["workflow_id"]
    while request(server, "GET", f"/api/v1/workflows/{workflow_id}")[1]["status"] == "WORKFLOW_STATUS_RUNNING":
        time.sleep(0.01)
    return workflow_id


def request(server: Server, method: str, path: str, body=None):
    """(status, JSON body or None for an event stream, which is closed unread)."""
    connection = http.client.HTTPConnection("127.0.0.1", server.http_port, timeout=30)
    try:
        connection.request(method, path, body=None if body is None else json.dumps(body).encode(),
                           headers={"Content-Type": "application/json"})
        response = connection.getresponse()
        if response.getheader("Content-Type", "").startswith("text/event-stream"):
            return response.status, None
        data = response.read()
        if not response.getheader("Content-Type", "").startswith("application/json"):
            return response.status, data.decode()
        return response.status, json.loads(data)
    finally:
        connection.close()


def operations():
    for path, methods in DOCUMENT["paths"].items():
        for method, operation in methods.items():
            yield pytest.param(path, method, operation, id=f"{method.upper()} {path}")


def sample(schema: dict) -> str:
    schema = resolve(schema)
    if "enum" in schema:
        return next(value for value in schema["enum"] if not value.endswith("UNSPECIFIED"))
    return {"boolean": "true", "integer": "1", "array": None}.get(schema.get("type"), "1" if schema.get("pattern") else "x")


@pytest.mark.parametrize("path,method,operation", list(operations()))
def test_every_route_and_query_parameter_in_the_document_is_served(server, finished, path, method, operation):
    concrete = path.replace("{workflow_id}", finished).replace("{artifact_id}", f"{finished}.none.pdf").replace("{asset_id}", "1").replace("{file_id}", "f-" + "0" * 26)
    body = {} if method == "post" else None
    if operation["operationId"] == "RetryWorkflow":
        body = None  # the workflow completed: FAILED_PRECONDITION, which proves the route
    status, answer = request(server, method.upper(), concrete, body if method == "post" else None)
    assert not (status == 404 and isinstance(answer, dict) and concrete in answer.get("message", "")), ("no such route", answer)
    assert status != 405, answer
    stream_scope = {"workflow_id": finished} if operation["operationId"] == "WatchLogs" else {}
    for parameter in map(resolve, operation.get("parameters", [])):
        if parameter["in"] != "query":
            continue
        schema = resolve(parameter["schema"])
        value = sample(schema["items"]) if schema.get("type") == "array" else sample(schema)
        status, answer = request(server, "GET", f"{concrete}?{urlencode({**stream_scope, parameter['name']: value})}")
        message = answer.get("message", "") if isinstance(answer, dict) else ""
        assert "no such field" not in message and "not a" not in message.split(":")[0], (parameter["name"], answer)


def members_match(value: dict, schema_name: str, where: str):
    schema = SCHEMAS[schema_name]
    assert set(value) <= set(schema["properties"]), f"{where}: {sorted(set(value) - set(schema['properties']))} not in {schema_name}"
    for name, member in value.items():
        reference = schema["properties"][name]
        target = reference.get("$ref") or reference.get("items", {}).get("$ref")
        if not target or "/schemas/" not in target:
            continue
        nested = target.rsplit("/", 1)[1]
        if "properties" not in SCHEMAS[nested]:
            continue
        for item in member if isinstance(member, list) else [member]:
            members_match(item, nested, f"{where}.{name}")


def test_the_answers_members_are_the_documented_ones(server, finished):
    members_match(request(server, "GET", f"/api/v1/workflows/{finished}")[1], "Workflow", "GetWorkflow")
    members_match(request(server, "GET", "/api/v1/workflows")[1], "ListWorkflowsResponse", "ListWorkflows")
    members_match(request(server, "GET", f"/api/v1/workflows/{finished}/steps")[1], "ListStepsResponse", "ListSteps")
    members_match(request(server, "GET", "/api/v1/workflow-counts")[1], "CountWorkflowsResponse", "CountWorkflows")
    members_match(request(server, "GET", "/api/v1/workers")[1], "ListWorkersResponse", "ListWorkers")
    members_match(request(server, "GET", "/api/v1/assets")[1], "ListAssetsResponse", "ListAssets")
    content = b"tag,type,name\nP-1,Pump,Feed pump\n"
    connection = http.client.HTTPConnection("127.0.0.1", server.http_port, timeout=30)
    connection.request("POST", f"/api/v1/files?{urlencode({'name': 'a.csv', 'sha256': hashlib.sha256(content).hexdigest()})}",
                       body=content, headers={"Content-Type": "text/csv"})
    response = connection.getresponse()
    assert response.status == 201
    members_match(json.loads(response.read()), "UploadedFile", "UploadFile")
    connection.close()
    export = request(server, "POST", "/api/v1/workflows", {"type": "EXPORT_PACKAGE"})[1]["workflow_id"]
    while request(server, "GET", f"/api/v1/workflows/{export}")[1]["status"] == "WORKFLOW_STATUS_RUNNING":
        time.sleep(0.01)
    exported = request(server, "GET", f"/api/v1/workflows/{export}")[1]
    assert len(exported["artifacts"]) == 3
    members_match(exported, "Workflow", "GetWorkflow of an export")
    members_match(request(server, "GET", "/api/v1/workflows/wf-none")[1], "Error", "an error")
    # Every schema property exists in the proto (the document cannot name fields the server lacks).
    workflow = request(server, "GET", f"/api/v1/workflows/{finished}")[1]
    assert set(SCHEMAS["Workflow"]["properties"]) == set(workflow), "every Workflow field is printed, so the sets are equal"
