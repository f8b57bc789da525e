"""Create the template's data resources (tables, queues, buckets, topics) in moto's server."""

from __future__ import annotations

import json

import boto3

from local_stack.template import ACCOUNT, REGION, Template


def create_resources(template: Template, endpoint_url: str | None, visibility_timeout: int | None = None) -> None:
    """Create every emulated resource and record its local name/ARN for ``Ref``/``GetAtt``."""
    session = boto3.session.Session(
        aws_access_key_id="local",
        aws_secret_access_key="local",  # noqa: S106 - moto's dummy credentials
        region_name=REGION,
    )
    dynamodb = session.client("dynamodb", endpoint_url=endpoint_url)
    sqs = session.client("sqs", endpoint_url=endpoint_url)
    s3 = session.client("s3", endpoint_url=endpoint_url)
    sns = session.client("sns", endpoint_url=endpoint_url)

    queues = template.of_type("AWS::SQS::Queue")
    for logical_id in queues:  # names and ARNs first: redrive policies point at other queues
        name = f"local-{logical_id}"
        url = sqs.create_queue(QueueName=name)["QueueUrl"]
        template.physical_names[logical_id] = url
        template.attributes[(logical_id, "Arn")] = f"arn:aws:sqs:{REGION}:{ACCOUNT}:{name}"
        template.attributes[(logical_id, "QueueName")] = name
        template.attributes[(logical_id, "QueueUrl")] = url
    for logical_id, resource in queues.items():
        properties = template.resolve(resource.get("Properties", {}))
        attributes = {}
        for key in ("VisibilityTimeout", "MessageRetentionPeriod", "DelaySeconds", "ReceiveMessageWaitTimeSeconds"):
            if key in properties:
                attributes[key] = str(properties[key])
        # Tests shorten the visibility timeout so failed messages reappear in seconds, not minutes.
        if "VisibilityTimeout" in attributes and visibility_timeout is not None:
            attributes["VisibilityTimeout"] = str(visibility_timeout)
        if "RedrivePolicy" in properties:
            policy = properties["RedrivePolicy"]
            attributes["RedrivePolicy"] = json.dumps(
                {
                    "deadLetterTargetArn": policy["deadLetterTargetArn"],
                    "maxReceiveCount": int(policy["maxReceiveCount"]),
                }
            )
        if attributes:
            sqs.set_queue_attributes(QueueUrl=template.physical_names[logical_id], Attributes=attributes)

    for logical_id, resource in template.of_type("AWS::DynamoDB::Table").items():
        properties = template.resolve(resource["Properties"])
        name = f"local-{logical_id}"
        dynamodb.create_table(
            TableName=name,
            AttributeDefinitions=properties["AttributeDefinitions"],
            KeySchema=properties["KeySchema"],
            BillingMode=properties.get("BillingMode", "PAY_PER_REQUEST"),
            **{key: properties[key] for key in ("GlobalSecondaryIndexes",) if key in properties},
        )
        ttl = properties.get("TimeToLiveSpecification")
        if ttl and ttl.get("Enabled"):
            dynamodb.update_time_to_live(
                TableName=name,
                TimeToLiveSpecification={"AttributeName": ttl["AttributeName"], "Enabled": True},
            )
        template.physical_names[logical_id] = name
        template.attributes[(logical_id, "Arn")] = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{name}"

    for logical_id, resource in template.of_type("AWS::S3::Bucket").items():
        name = f"local-{logical_id.lower()}"
        s3.create_bucket(Bucket=name)
        template.physical_names[logical_id] = name
        template.attributes[(logical_id, "Arn")] = f"arn:aws:s3:::{name}"
        template.attributes[(logical_id, "DomainName")] = f"{name}.s3.amazonaws.com"
        template.attributes[(logical_id, "RegionalDomainName")] = f"{name}.s3.{REGION}.amazonaws.com"
        _bucket_notifications(s3, name, template, resource.get("Properties", {}).get("NotificationConfiguration"))

    for logical_id in template.of_type("AWS::SNS::Topic"):
        arn = sns.create_topic(Name=f"local-{logical_id}")["TopicArn"]
        template.physical_names[logical_id] = arn
        template.attributes[(logical_id, "TopicArn")] = arn
        template.attributes[(logical_id, "TopicName")] = f"local-{logical_id}"


def _bucket_notifications(s3, bucket: str, template: Template, notification: dict | None) -> None:
    """S3 -> SQS event notifications (moto's server delivers them; it cannot invoke Lambda directly)."""
    if not notification:
        return
    queues = []
    for config in template.resolve(notification).get("QueueConfigurations", []):
        entry = {"QueueArn": config["Queue"], "Events": [config["Event"]]}
        rules = config.get("Filter", {}).get("S3Key", {}).get("Rules", [])
        if rules:
            entry["Filter"] = {"Key": {"FilterRules": [{"Name": r["Name"], "Value": r["Value"]} for r in rules]}}
        queues.append(entry)
    if queues:
        s3.put_bucket_notification_configuration(
            Bucket=bucket, NotificationConfiguration={"QueueConfigurations": queues}
        )
