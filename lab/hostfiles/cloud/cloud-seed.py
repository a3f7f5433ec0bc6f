#!/usr/bin/env python3
"""cloud-seed.py ENDPOINT — internal (lab/up): what the seeds keep in AWS, created in moto.

Idempotent: only what is missing is created, so a warm lab/up registers nothing again.
  S3:  buckets bovine-backups (seed 000, rclone) and epagal-backups (seed 001, aws s3 cp)
  ECS: cluster conductores-cluster, task definition family conductores-backend with
       revisions 1..44 (42 = v1.4.2, 43 = v1.5.0, 44 = v1.6.0-broken; 1..41 deregistered),
       service conductores-backend on :42 with desired count 2 (seed 003), in a VPC with two
       private subnets and a security group (moto checks the awsvpc network configuration).
Prints `new-bucket NAME` for each bucket it created (lab/up then uploads the seeded backups).
"""
import sys

import boto3

ENDPOINT = sys.argv[1]
KW = dict(endpoint_url=ENDPOINT, region_name="us-east-1",
          aws_access_key_id="opsdeck-lab", aws_secret_access_key="opsdeck-lab")
s3 = boto3.client("s3", **KW)
ec2 = boto3.client("ec2", **KW)
ecs = boto3.client("ecs", **KW)

BUCKETS = ["bovine-backups", "epagal-backups"]
CLUSTER, FAMILY, SERVICE = "conductores-cluster", "conductores-backend", "conductores-backend"
REPO = "123456789012.dkr.ecr.us-east-1.amazonaws.com/conductores-backend"
LAST = 44
TAGS = {42: "v1.4.2", 43: "v1.5.0", 44: "v1.6.0-broken"}


def tag_of(rev):
    # older revisions: v1.0.0 .. v1.4.0, one per revision
    return TAGS.get(rev, f"v1.{(rev - 1) // 10}.{(rev - 1) % 10}")


have = {b["Name"] for b in s3.list_buckets().get("Buckets", [])}
for b in BUCKETS:
    if b not in have:
        s3.create_bucket(Bucket=b)
        print(f"new-bucket {b}")

vpcs = ec2.describe_vpcs(Filters=[{"Name": "tag:Name", "Values": ["conductores-vpc"]}])["Vpcs"]
if vpcs:
    vpc = vpcs[0]["VpcId"]
else:
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16", TagSpecifications=[
        {"ResourceType": "vpc", "Tags": [{"Key": "Name", "Value": "conductores-vpc"}]}])["Vpc"]["VpcId"]
subnets = [s["SubnetId"] for s in ec2.describe_subnets(
    Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Subnets"]]
for i in range(len(subnets), 2):
    subnets.append(ec2.create_subnet(
        VpcId=vpc, CidrBlock=f"10.0.{10 + i}.0/24", AvailabilityZone=f"us-east-1{'ab'[i]}",
        TagSpecifications=[{"ResourceType": "subnet",
                            "Tags": [{"Key": "Name", "Value": f"conductores-private-{i}"}]}],
    )["Subnet"]["SubnetId"])
sgs = ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [vpc]},
                                            {"Name": "group-name", "Values": ["conductores-backend"]}])
if sgs["SecurityGroups"]:
    sg = sgs["SecurityGroups"][0]["GroupId"]
else:
    sg = ec2.create_security_group(GroupName="conductores-backend", Description="conductores backend tasks",
                                   VpcId=vpc)["GroupId"]

if not [c for c in ecs.describe_clusters(clusters=[CLUSTER])["clusters"] if c["status"] == "ACTIVE"]:
    ecs.create_cluster(clusterName=CLUSTER, settings=[{"name": "containerInsights", "value": "enabled"}])

arns = ecs.list_task_definitions(familyPrefix=FAMILY, status="ACTIVE")["taskDefinitionArns"] + \
    ecs.list_task_definitions(familyPrefix=FAMILY, status="INACTIVE")["taskDefinitionArns"]
last = max([int(a.rsplit(":", 1)[1]) for a in arns] or [0])
for rev in range(last + 1, LAST + 1):
    got = ecs.register_task_definition(
        family=FAMILY, networkMode="awsvpc", requiresCompatibilities=["FARGATE"],
        cpu="1024", memory="2048",
        containerDefinitions=[{
            "name": "backend", "image": f"{REPO}:{tag_of(rev)}", "essential": True,
            "portMappings": [{"containerPort": 8000, "protocol": "tcp"}],
            "environment": [{"name": "APP_VERSION", "value": tag_of(rev)}],
            "healthCheck": {"command": ["CMD-SHELL", "curl -f http://localhost:8000/health || exit 1"],
                            "interval": 30, "timeout": 5, "retries": 3, "startPeriod": 60},
        }],
    )["taskDefinition"]["revision"]
    if got != rev:
        sys.exit(f"cloud-seed: moto numbered {FAMILY} revision {got}, expected {rev}")
    if rev < 42:
        ecs.deregister_task_definition(taskDefinition=f"{FAMILY}:{rev}")

svcs = [s for s in ecs.describe_services(cluster=CLUSTER, services=[SERVICE])["services"]
        if s["status"] == "ACTIVE"]
if not svcs:
    ecs.create_service(
        cluster=CLUSTER, serviceName=SERVICE, taskDefinition=f"{FAMILY}:42", desiredCount=2,
        launchType="FARGATE",
        networkConfiguration={"awsvpcConfiguration": {"subnets": subnets, "securityGroups": [sg],
                                                      "assignPublicIp": "DISABLED"}},
    )
