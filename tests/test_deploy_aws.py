"""The AWS SAM template, deploy/aws/template.yaml, checked offline.

cfn-lint validates it twice, as written (SAM resources against the SAM schemas) and as CloudFormation after the
SAM transform (aws-sam-translator, offline), and fails on any error, warning or informational finding: since
release 1.54 cfn-lint no longer runs the SAM transform itself, and only the transformed template gets the full
CloudFormation checks (the event source mapping's properties, IAM action names, references). Then
:func:`problems` reads the template and checks what a reviewer cares about: the queue's visibility timeout against
the consumer's timeout, the redrive policy and ``INGEST_MAX_RECEIVES``, partial batch failures, the politeness
knob, and IAM statements that name only the bucket prefix, the queues, the topic and each function's own log
group. The mutation tests feed :func:`problems` (and cfn-lint) broken copies, to show that the checks bite.

No statement needs a ``*`` resource: SSE-SQS needs no KMS permission, the topic uses the AWS managed key (whose key
policy admits this account's publishers), the stack makes the log groups (no logs:CreateLogGroup), and X-Ray
tracing is off (``xray:PutTraceSegments`` is the one action the functions could need that only takes ``*``).
"""
from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from cfnlint.api import ManualArgs, lint
from cfnlint.decode import decode_str
from cfnlint.helpers import REGIONS
from samtranslator.parser.parser import Parser
from samtranslator.translator.translator import Translator

REPO = Path(__file__).resolve().parents[1]
TEMPLATE = REPO / "deploy" / "aws" / "template.yaml"
LIFECYCLE = json.loads((REPO / "deploy" / "s3" / "lifecycle.json").read_text())

Template = dict[str, Any]

HANDLER = "ingest_plugin.aws_lambda.handler"
FUNCTIONS = ("ScheduledFunction", "ConsumerFunction", "WebhookFunction")
NO_VALUE = {"Ref": "AWS::NoValue"}
SQS_MAX_VISIBILITY = 43_200  # seconds: 12 hours, the most SQS allows
FETCH_TOTAL_TIMEOUT = 120  # seconds: transport.fetch's whole-fetch timeout; a consumer must outlast one fetch

# What the functions may be allowed to do, and on what. Every resource is named exactly; Fn::If alternatives are
# checked one by one. The object actions take the prefix's keys, or the bucket's when there is no prefix.
OBJECTS = {"Fn::If": ["HasPrefix", {"Fn::Sub": "arn:${AWS::Partition}:s3:::${BucketName}/${KeyPrefix}/*"},
                      {"Fn::Sub": "arn:${AWS::Partition}:s3:::${BucketName}/*"}]}
BUCKET = {"Fn::Sub": "arn:${AWS::Partition}:s3:::${BucketName}"}
LIST_CONDITION = {"Fn::If": ["HasPrefix", {"StringLike": {"s3:prefix": {"Fn::Sub": "${KeyPrefix}/*"}}}, NO_VALUE]}
JOBS_QUEUE = {"Fn::GetAtt": ["JobsQueue", "Arn"]}
CHANGES_QUEUE = {"Fn::GetAtt": ["ChangesQueue", "Arn"]}
CHANGES_TOPIC = {"Ref": "ChangesTopic"}
OWN_LOG_GROUP = "own log group"  # stands for GetAtt of the log group of the function that uses the role
ALLOWED: dict[str, list[Any]] = {
    "s3:GetObject": [OBJECTS],
    "s3:PutObject": [OBJECTS],
    "s3:DeleteObject": [OBJECTS],
    "s3:ListBucket": [BUCKET],
    "sqs:SendMessage": [JOBS_QUEUE, CHANGES_QUEUE],
    "sqs:ReceiveMessage": [JOBS_QUEUE],
    "sqs:DeleteMessage": [JOBS_QUEUE],
    "sqs:ChangeMessageVisibility": [JOBS_QUEUE],
    "sqs:GetQueueAttributes": [JOBS_QUEUE],
    "sns:Publish": [CHANGES_TOPIC],
    "logs:CreateLogStream": [OWN_LOG_GROUP],
    "logs:PutLogEvents": [OWN_LOG_GROUP],
}
S3 = {"s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:ListBucket"}
LOGS = {"logs:CreateLogStream", "logs:PutLogEvents"}
# Exactly what each function's role grants, on the resources above.
PRODUCER = S3 | LOGS | {("sqs:SendMessage", "JobsQueue")}
ROLE_GRANTS: dict[str, set[Any]] = {
    "ScheduledRole": PRODUCER,
    "WebhookRole": PRODUCER,
    "ConsumerRole": PRODUCER | {"sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility",
                                "sqs:GetQueueAttributes", "sns:Publish", ("sqs:SendMessage", "ChangesQueue")},
}
# What Lambda's SQS poller needs on the queue (the event source mapping runs with the function's role).
EVENT_SOURCE_NEEDS = {"sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"}


# ------------------------------------------------------------------------------------------------------ loading

def load(text: str) -> Template:
    """The template as plain data (cfn-lint's loader knows the short forms: !Ref, !Sub, !If ...)."""
    template, errors = decode_str(text)
    assert not errors, [str(error) for error in errors]
    return json.loads(json.dumps(template))


def sam_transform(template: Template, region: str = "us-east-1") -> Template:
    """The CloudFormation that ``sam deploy`` would create, made offline. The local CodeUri becomes an S3 location
    (the translator takes no local path); no managed policy is named, so no IAM call is needed."""
    template = copy.deepcopy(template)
    template["Globals"]["Function"]["CodeUri"] = "s3://bucket/ingest-plugin.zip"
    translator = Translator(managed_policy_map={}, sam_parser=Parser(),
                            boto_session=boto3.session.Session(region_name=region))
    return translator.translate(sam_template=template, parameter_values={})


@pytest.fixture(scope="module")
def text() -> str:
    return TEMPLATE.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def template(text: str) -> Template:
    return load(text)


@pytest.fixture(scope="module")
def transformed(template: Template) -> Template:
    return sam_transform(template)


# ------------------------------------------------------------------------------------------------------ cfn-lint

def lint_findings(text: str, regions: list[str]) -> list[str]:
    """cfn-lint's findings (errors, warnings and informational) on the SAM template and on its transform."""
    config = ManualArgs(include_checks=["I"], regions=regions)
    findings = [f"template.yaml:{m.linenumber}: {m.rule.id} {m.message}" for m in lint(text, config=config)]
    if findings:
        return findings
    transformed = sam_transform(load(text), region=regions[0])
    return [f"transformed: {m.rule.id} {m.message} ({'/'.join(map(str, m.path))})"
            for m in lint(json.dumps(transformed), config=config)]


def test_cfn_lint_finds_nothing_in_any_region(text: str) -> None:
    findings = lint_findings(text, regions=list(REGIONS))
    assert findings == [], "\n".join(findings)


@pytest.mark.parametrize(("what", "old", "new", "rule"), [
    ("an IAM action that does not exist", "Action: sqs:SendMessage\n            Resource: !GetAtt JobsQueue.Arn",
     "Action: [sqs:SendMessage, sqs:SendMessageBatch]\n            Resource: !GetAtt JobsQueue.Arn", "W3037"),
    ("a reference to no resource", "Queue: !GetAtt JobsQueue.Arn", "Queue: !GetAtt JobQueue.Arn", "E1010"),
    ("a wrong response type", "- ReportBatchItemFailures", "- ReportBatchFailures", "E3030"),
    ("a visibility timeout past 12 hours", "Seconds: 1860", "Seconds: 50000", "W1034"),
], ids=["no-such-action", "no-such-resource", "bad-response-type", "visibility-past-12h"])
def test_cfn_lint_catches_a_broken_copy(text: str, what: str, old: str, new: str, rule: str) -> None:
    assert text.count(old) == 1, old
    findings = lint_findings(text.replace(old, new), regions=["us-east-1"])
    assert any(f" {rule} " in finding for finding in findings), (what, findings)


# ---------------------------------------------------------------------------------------------- the checker

def alternatives(node: Any) -> Iterator[Any]:
    """The values a node can take: each branch of a top-level Fn::If (nested ones too), without AWS::NoValue."""
    if isinstance(node, dict) and list(node) == ["Fn::If"]:
        for branch in node["Fn::If"][1:]:
            yield from alternatives(branch)
    elif node != NO_VALUE:
        yield node


def as_list(node: Any) -> list[Any]:
    return node if isinstance(node, list) else [node]


def statements(document: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for statement in as_list(document.get("Statement", [])):
        yield from alternatives(statement)


def wildcards(node: Any) -> list[str]:
    """Strings in a resource that match more than one named thing: ``*`` or ``?`` anywhere but the prefix's
    trailing ``/*`` (an ARN in Fn::Sub is checked as its text)."""
    found = []
    if isinstance(node, str):
        if re.search(r"[*?]", node.removesuffix("/*")):
            found.append(node)
    elif isinstance(node, dict):
        for value in node.values():
            found += wildcards(value)
    elif isinstance(node, list):
        for value in node:
            found += wildcards(value)
    return found


def resource_name(resource: Any) -> str:
    """JobsQueue for GetAtt JobsQueue.Arn, for the per-role grant sets."""
    if isinstance(resource, dict) and "Fn::GetAtt" in resource:
        return resource["Fn::GetAtt"][0]
    return json.dumps(resource)


def check_statement(where: str, statement: dict[str, Any], log_group: str | None,
                    grants: set[Any], problems: list[str]) -> None:
    for key in ("NotAction", "NotResource", "NotPrincipal"):
        if key in statement:
            problems.append(f"{where}: {key} grants everything else")
    if statement.get("Effect") != "Allow":
        problems.append(f"{where}: Effect {statement.get('Effect')!r}, expected Allow")
    resources = [r for resource in as_list(statement.get("Resource", [])) for r in alternatives(resource)]
    if not resources:
        problems.append(f"{where}: no Resource")
    for resource in resources:
        for wildcard in wildcards(resource):
            problems.append(f"{where}: wildcard resource {wildcard!r}")
    for action in as_list(statement.get("Action", [])):
        allowed = [r for r in ALLOWED.get(action, []) if r != OWN_LOG_GROUP]
        if OWN_LOG_GROUP in ALLOWED.get(action, []) and log_group:
            allowed.append({"Fn::GetAtt": [log_group, "Arn"]})
        if action not in ALLOWED:
            problems.append(f"{where}: action {action!r} is none the functions need")
            continue
        for resource in as_list(statement.get("Resource", [])):
            if resource not in allowed:
                problems.append(f"{where}: {action} on {json.dumps(resource)}, expected one of "
                                f"{[json.dumps(r) for r in allowed]}")
            grants.add((action, resource_name(resource)) if action == "sqs:SendMessage" else action)
        if action == "s3:ListBucket" and statement.get("Condition") != LIST_CONDITION:
            problems.append(f"{where}: s3:ListBucket without the key prefix condition {json.dumps(LIST_CONDITION)}")
        if action != "s3:ListBucket" and "Condition" in statement and action.startswith("s3:"):
            problems.append(f"{where}: unexpected Condition on {action}")


def iam_problems(template: Template) -> list[str]:
    resources = template["Resources"]
    problems: list[str] = []
    policy_grants: dict[str, set[Any]] = {}
    for name, resource in resources.items():
        if resource["Type"] in ("AWS::IAM::ManagedPolicy", "AWS::IAM::Policy"):
            grants: set[Any] = set()
            for statement in statements(resource["Properties"]["PolicyDocument"]):
                check_statement(name, statement, None, grants, problems)
            policy_grants[name] = grants
            if resource["Type"] == "AWS::IAM::Policy":
                problems.append(f"{name}: attach policies with ManagedPolicyArns, not AWS::IAM::Policy")
        elif resource["Type"] not in ("AWS::IAM::Role",) and resource["Type"].startswith("AWS::IAM::"):
            problems.append(f"{name}: unexpected IAM resource {resource['Type']}")

    role_of = {}
    for function in FUNCTIONS:
        properties = resources[function]["Properties"]
        if "Policies" in properties:
            problems.append(f"{function}: SAM Policies would add a role's statements outside these checks")
        role_arn = properties.get("Role")
        role = role_arn.get("Fn::GetAtt", [None])[0] if isinstance(role_arn, dict) else None
        if role is None:
            problems.append(f"{function}: no Role of the stack (SAM would make one)")
            continue
        role_of[role] = function

    for name, resource in resources.items():
        if resource["Type"] != "AWS::IAM::Role":
            continue
        properties = resource["Properties"]
        trust = list(statements(properties["AssumeRolePolicyDocument"]))
        if [s.get("Principal") for s in trust] != [{"Service": "lambda.amazonaws.com"}] or \
                [s.get("Action") for s in trust] != ["sts:AssumeRole"]:
            problems.append(f"{name}: the role must be assumable by Lambda only: {trust}")
        function = role_of.get(name)
        if function is None:
            problems.append(f"{name}: a role no function uses")
            continue
        log_group = resources[function]["Properties"].get("LoggingConfig", {}).get("LogGroup", {}).get("Ref")
        grants = set()
        for arn in properties.get("ManagedPolicyArns", []):
            policy = arn.get("Ref") if isinstance(arn, dict) else None
            if policy not in policy_grants:
                problems.append(f"{name}: managed policy {arn!r} is not one of this stack's")
                continue
            grants |= policy_grants[policy]
        for policy in properties.get("Policies", []):
            for statement in statements(policy["PolicyDocument"]):
                check_statement(f"{name}/{policy['PolicyName']}", statement, log_group, grants, problems)
        expected = ROLE_GRANTS.get(name)
        if expected is None:
            problems.append(f"{name}: no expected grants for this role")
        elif grants != expected:
            problems.append(f"{name}: grants more than its function needs {sorted(map(str, grants - expected))}, "
                            f"or less {sorted(map(str, expected - grants))}")
        if function == "ConsumerFunction" and not EVENT_SOURCE_NEEDS <= grants:
            problems.append(f"{name}: the SQS event source needs {sorted(EVENT_SOURCE_NEEDS - grants)}")
    return problems


def problems(template: Template) -> list[str]:
    """Everything wrong with the template, one line each; empty when it is right."""
    found: list[str] = []
    parameters = template["Parameters"]
    resources = template["Resources"]
    globals_ = template["Globals"]["Function"]
    env = globals_["Environment"]["Variables"]
    queue = resources["JobsQueue"]["Properties"]
    dlq = resources["JobsDeadLetterQueue"]["Properties"]
    consumer = resources["ConsumerFunction"]["Properties"]
    events = consumer.get("Events", {})
    sqs_events = [e["Properties"] for e in events.values() if e.get("Type") == "SQS"]

    # One handler for all three functions, on Python 3.11.
    for function in FUNCTIONS:
        properties = resources[function]["Properties"]
        for key, value in (("Handler", HANDLER), ("Runtime", "python3.11")):
            if properties.get(key, globals_.get(key)) != value:
                found.append(f"{function}: {key} must be {value}")

    # The consumer's timeout and the queue's visibility timeout: at least 6 times the function timeout plus the
    # longest batching window, for every timeout the parameter allows.
    if consumer.get("Timeout") != {"Ref": "ConsumerTimeout"}:
        found.append(f"ConsumerFunction: Timeout {consumer.get('Timeout')} is not the ConsumerTimeout parameter")
    if queue.get("VisibilityTimeout") != {"Fn::FindInMap": ["VisibilityTimeouts", {"Ref": "ConsumerTimeout"},
                                                            "Seconds"]}:
        found.append(f"JobsQueue: VisibilityTimeout {queue.get('VisibilityTimeout')} does not follow the consumer's "
                     "timeout (VisibilityTimeouts mapping)")
    window = parameters["MaximumBatchingWindowSeconds"]["MaxValue"]
    timeouts = parameters["ConsumerTimeout"].get("AllowedValues", [])
    if not timeouts:
        found.append("ConsumerTimeout: give AllowedValues, so every visibility timeout can be checked")
    for timeout in timeouts:
        seconds = template["Mappings"]["VisibilityTimeouts"].get(str(timeout), {}).get("Seconds", 0)
        if not 6 * timeout + window <= seconds <= SQS_MAX_VISIBILITY:
            found.append(f"VisibilityTimeouts: {seconds} s for a {timeout} s consumer: short of 6 x {timeout} + "
                         f"{window} (batching window) = {6 * timeout + window}, or past SQS's {SQS_MAX_VISIBILITY}")
        if timeout < FETCH_TOTAL_TIMEOUT:
            found.append(f"ConsumerTimeout: {timeout} s leaves no room for a {FETCH_TOTAL_TIMEOUT} s fetch")
    if parameters["ConsumerTimeout"]["Default"] < 180:
        found.append("ConsumerTimeout: the default must be a few minutes")

    # The redrive policy, and the same count in INGEST_MAX_RECEIVES.
    redrive = queue.get("RedrivePolicy", {})
    if redrive.get("maxReceiveCount") != {"Ref": "MaxReceives"}:
        found.append(f"JobsQueue: maxReceiveCount {redrive.get('maxReceiveCount')} is not the MaxReceives parameter")
    if redrive.get("deadLetterTargetArn") != {"Fn::GetAtt": ["JobsDeadLetterQueue", "Arn"]}:
        found.append("JobsQueue: the redrive policy does not name the dead-letter queue")
    if env.get("INGEST_MAX_RECEIVES") != {"Ref": "MaxReceives"}:
        found.append(f"INGEST_MAX_RECEIVES is {env.get('INGEST_MAX_RECEIVES')}, not the MaxReceives parameter")
    if parameters["MaxReceives"]["Default"] != 5:
        found.append("MaxReceives: the default must be 5, the package's default")
    if dlq.get("MessageRetentionPeriod") != 1_209_600 or \
            dlq["MessageRetentionPeriod"] <= queue.get("MessageRetentionPeriod", 345_600):
        found.append("JobsDeadLetterQueue: keep jobs 14 days, longer than the jobs queue")

    # Encryption at rest.
    for name, resource in resources.items():
        properties = resource.get("Properties", {})
        if resource["Type"] == "AWS::SQS::Queue" and not (properties.get("SqsManagedSseEnabled") is True
                                                          or properties.get("KmsMasterKeyId")):
            found.append(f"{name}: no server-side encryption")
        if resource["Type"] == "AWS::SNS::Topic" and not properties.get("KmsMasterKeyId"):
            found.append(f"{name}: no server-side encryption")

    # The SQS event: partial batch failures, a batching window, bounded batches, the politeness knob.
    if len(sqs_events) != 1:
        found.append(f"ConsumerFunction: {len(sqs_events)} SQS events, expected 1")
    for event in sqs_events:
        if event.get("Queue") != JOBS_QUEUE:
            found.append("ConsumerFunction: the SQS event does not read the jobs queue")
        if event.get("FunctionResponseTypes") != ["ReportBatchItemFailures"]:
            found.append("ConsumerFunction: the SQS event must report batch item failures (ReportBatchItemFailures)")
        if event.get("MaximumBatchingWindowInSeconds") != {"Ref": "MaximumBatchingWindowSeconds"}:
            found.append("ConsumerFunction: the SQS event has no MaximumBatchingWindowInSeconds")
        if event.get("BatchSize") != {"Ref": "BatchSize"} or parameters["BatchSize"]["MaxValue"] > 10:
            found.append("ConsumerFunction: BatchSize must be the parameter, at most 10 (each job may fetch 120 s)")
        if event.get("ScalingConfig", {}).get("MaximumConcurrency") != {"Ref": "ConsumerConcurrency"}:
            found.append("ConsumerFunction: the SQS event's MaximumConcurrency is not the ConsumerConcurrency knob")
    if consumer.get("ReservedConcurrentExecutions") != {"Ref": "ConsumerConcurrency"}:
        found.append("ConsumerFunction: ReservedConcurrentExecutions is not the ConsumerConcurrency knob")
    knob = parameters["ConsumerConcurrency"]
    if not 2 <= knob["Default"] <= 10 or knob["MinValue"] < 2:  # 2: the least MaximumConcurrency SQS takes
        found.append(f"ConsumerConcurrency: default {knob['Default']}, min {knob['MinValue']}: expected a small knob")

    # The schedule, the webhook route, the secrets.
    schedules = [e["Properties"] for e in resources["ScheduledFunction"]["Properties"].get("Events", {}).values()
                 if e.get("Type") == "Schedule"]
    if [s.get("Schedule") for s in schedules] != [{"Ref": "ScheduleExpression"}] or \
            parameters["ScheduleExpression"]["Default"] != "rate(15 minutes)":
        found.append("ScheduledFunction: one Schedule event on ScheduleExpression, default rate(15 minutes)")
    routes = [e["Properties"] for e in resources["WebhookFunction"]["Properties"].get("Events", {}).values()
              if e.get("Type") == "HttpApi"]
    if [(r.get("Method"), r.get("Path"), r.get("PayloadFormatVersion")) for r in routes] != \
            [("POST", "/webhooks/ingest", "2.0")]:
        found.append(f"WebhookFunction: expected one HttpApi route POST /webhooks/ingest, payload 2.0: {routes}")
    if parameters["WebhookSecrets"].get("NoEcho") is not True:
        found.append("WebhookSecrets: must be NoEcho")

    # The environment the package reads.
    expected_env = {"INGEST_S3_BUCKET": {"Ref": "BucketName"}, "INGEST_S3_PREFIX": {"Ref": "KeyPrefix"},
                    "INGEST_QUEUE_URL": {"Ref": "JobsQueue"}}
    for key, value in expected_env.items():
        if env.get(key) != value:
            found.append(f"{key} is {env.get(key)}, expected {value}")
    if not str(env.get("INGEST_SPOOL_DIR", "")).startswith("/tmp/"):
        found.append("INGEST_SPOOL_DIR must be under /tmp, the one writable place on Lambda")
    consumer_env = consumer.get("Environment", {}).get("Variables", {})
    if consumer_env.get("INGEST_CHANGES_TOPIC_ARN") != {"Fn::If": ["UseTopic", CHANGES_TOPIC, NO_VALUE]} or \
            consumer_env.get("INGEST_CHANGES_QUEUE_URL") != {"Fn::If": ["UseQueue", {"Ref": "ChangesQueue"},
                                                                          NO_VALUE]}:
        found.append("ConsumerFunction: the change-event target is not in its environment")
    webhook_env = resources["WebhookFunction"]["Properties"].get("Environment", {}).get("Variables", {})
    if "INGEST_WEBHOOK_SECRETS" not in webhook_env or "INGEST_WEBHOOK_SECRETS" in env:
        found.append("INGEST_WEBHOOK_SECRETS: the webhook function's, and only its")

    found += iam_problems(template)
    return found


def test_the_template_has_no_problems(template: Template) -> None:
    found = problems(template)
    assert found == [], "\n".join(found)


def test_the_transformed_template_keeps_what_was_checked(transformed: Template) -> None:
    """What SAM makes of it: no role or policy of its own, the event source mapping as written."""
    resources = transformed["Resources"]
    iam = sorted(name for name, r in resources.items() if r["Type"].startswith("AWS::IAM::"))
    assert iam == ["ArticleStoreAccess", "ConsumerRole", "JobsConsumerAccess", "JobsProducerAccess",
                   "ScheduledRole", "WebhookRole"]
    mappings = [r["Properties"] for r in resources.values() if r["Type"] == "AWS::Lambda::EventSourceMapping"]
    assert len(mappings) == 1
    assert mappings[0]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert mappings[0]["EventSourceArn"] == JOBS_QUEUE
    assert mappings[0]["ScalingConfig"] == {"MaximumConcurrency": {"Ref": "ConsumerConcurrency"}}
    functions = {name: r["Properties"] for name, r in resources.items() if r["Type"] == "AWS::Lambda::Function"}
    assert sorted(functions) == sorted(FUNCTIONS)
    assert {f["Handler"] for f in functions.values()} == {HANDLER}
    assert functions["ConsumerFunction"]["ReservedConcurrentExecutions"] == {"Ref": "ConsumerConcurrency"}
    rules = [r["Properties"] for r in resources.values() if r["Type"] == "AWS::Events::Rule"]
    assert [r["ScheduleExpression"] for r in rules] == [{"Ref": "ScheduleExpression"}]
    assert iam_problems(transformed) == []


def test_the_bucket_the_template_creates_has_the_lifecycle_rules_of_lifecycle_json(template: Template) -> None:
    """deploy/s3/lifecycle.json, with every prefix under the key prefix when there is one."""
    rules = template["Resources"]["ArticleBucket"]["Properties"]["LifecycleConfiguration"]["Rules"]
    expected = [{"Id": rule["ID"], "Status": rule["Status"], "ExpirationInDays": rule["Expiration"]["Days"],
                 "Prefix": {"Fn::If": ["HasPrefix", {"Fn::Sub": "${KeyPrefix}/" + rule["Filter"]["Prefix"]},
                                       rule["Filter"]["Prefix"]]}}
                for rule in LIFECYCLE["Rules"]]
    assert rules == expected


# -------------------------------------------------------------------------------------------- mutation checks

def resource_star(t: Template) -> None:
    t["Resources"]["ArticleStoreAccess"]["Properties"]["PolicyDocument"]["Statement"][0]["Resource"] = "*"


def everything_statement(t: Template) -> None:
    t["Resources"]["ConsumerRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"].append(
        {"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::*"})


def another_bucket(t: Template) -> None:
    t["Resources"]["ArticleStoreAccess"]["Properties"]["PolicyDocument"]["Statement"][0]["Resource"] = \
        {"Fn::Sub": "arn:${AWS::Partition}:s3:::other-bucket/*"}


def all_queue_actions(t: Template) -> None:
    t["Resources"]["JobsConsumerAccess"]["Properties"]["PolicyDocument"]["Statement"][0]["Action"] = "sqs:*"


def list_without_condition(t: Template) -> None:
    del t["Resources"]["ArticleStoreAccess"]["Properties"]["PolicyDocument"]["Statement"][1]["Condition"]


def producer_receives(t: Template) -> None:
    t["Resources"]["ScheduledRole"]["Properties"]["ManagedPolicyArns"].append({"Ref": "JobsConsumerAccess"})


def sam_policies(t: Template) -> None:
    t["Resources"]["WebhookFunction"]["Properties"]["Policies"] = ["AmazonS3FullAccess"]


def another_log_group(t: Template) -> None:
    t["Resources"]["WebhookRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"][0]["Resource"] = \
        {"Fn::GetAtt": ["ConsumerLogGroup", "Arn"]}


def short_visibility(t: Template) -> None:
    t["Mappings"]["VisibilityTimeouts"]["300"]["Seconds"] = 5 * 300


def fixed_visibility(t: Template) -> None:
    t["Resources"]["JobsQueue"]["Properties"]["VisibilityTimeout"] = 60


def fixed_max_receives(t: Template) -> None:
    t["Resources"]["JobsQueue"]["Properties"]["RedrivePolicy"]["maxReceiveCount"] = 5


def env_max_receives(t: Template) -> None:
    t["Globals"]["Function"]["Environment"]["Variables"]["INGEST_MAX_RECEIVES"] = "5"


def no_batch_item_failures(t: Template) -> None:
    del t["Resources"]["ConsumerFunction"]["Properties"]["Events"]["Jobs"]["Properties"]["FunctionResponseTypes"]


def no_reserved_concurrency(t: Template) -> None:
    del t["Resources"]["ConsumerFunction"]["Properties"]["ReservedConcurrentExecutions"]


def no_encryption(t: Template) -> None:
    del t["Resources"]["JobsQueue"]["Properties"]["SqsManagedSseEnabled"]


def short_consumer(t: Template) -> None:
    t["Parameters"]["ConsumerTimeout"]["AllowedValues"].append(30)
    t["Mappings"]["VisibilityTimeouts"]["30"] = {"Seconds": 300}


@pytest.mark.parametrize(("mutate", "expected"), [
    (resource_star, "wildcard resource '*'"),
    (everything_statement, "action 's3:*' is none the functions need"),
    (another_bucket, "other-bucket"),
    (all_queue_actions, "action 'sqs:*'"),
    (list_without_condition, "s3:ListBucket without the key prefix condition"),
    (producer_receives, "ScheduledRole: grants more than its function needs"),
    (sam_policies, "WebhookFunction: SAM Policies"),
    (another_log_group, "logs:CreateLogStream on"),
    (short_visibility, "VisibilityTimeouts: 1500 s for a 300 s consumer"),
    (fixed_visibility, "JobsQueue: VisibilityTimeout 60"),
    (fixed_max_receives, "maxReceiveCount 5 is not the MaxReceives parameter"),
    (env_max_receives, "INGEST_MAX_RECEIVES is 5"),
    (no_batch_item_failures, "ReportBatchItemFailures"),
    (no_reserved_concurrency, "ReservedConcurrentExecutions"),
    (no_encryption, "JobsQueue: no server-side encryption"),
    (short_consumer, "ConsumerTimeout: 30 s leaves no room"),
], ids=lambda value: getattr(value, "__name__", ""))
def test_the_checker_catches_a_broken_copy(template: Template, mutate: Callable[[Template], None],
                                           expected: str) -> None:
    broken = copy.deepcopy(template)
    mutate(broken)
    found = problems(broken)
    assert any(expected in line for line in found), "\n".join(found) or "no problem found"
