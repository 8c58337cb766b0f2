// k8s.io/api/core/v1: Container and EphemeralContainer with everything they hold — ports, env and
// envFrom, resources, probes, lifecycle hooks, security context (Kubernetes 1.33). Field numbers
// from core/v1 generated.proto; presence from the Go structs' json tags.

import { bool, inline, int32, int64, ints, map, message, msg, msgs, string, strings } from "../schema.ts";
import { LocalObjectReference } from "./core-v1.ts";
import { Time } from "./meta-v1.ts";
import { ObjectFieldSelector, ResourceFieldSelector } from "./core-v1-volumes.ts";
import { IntOrString, Quantity } from "./values.ts";

const P = "pointer";
const A = "always";
const inlineLocalRef = inline(1, "localObjectReference", () => LocalObjectReference);

const ContainerPort = message("ContainerPort", [
  string(1, "name"),
  int32(2, "hostPort"),
  int32(3, "containerPort", A),
  string(4, "protocol"),
  string(5, "hostIP"),
]);

const ConfigMapKeySelector = message("ConfigMapKeySelector", [
  inlineLocalRef,
  string(2, "key", A),
  bool(3, "optional", P),
]);

const SecretKeySelector = message("SecretKeySelector", [inlineLocalRef, string(2, "key", A), bool(3, "optional", P)]);

const EnvVarSource = message("EnvVarSource", [
  msg(1, "fieldRef", () => ObjectFieldSelector, P),
  msg(2, "resourceFieldRef", () => ResourceFieldSelector, P),
  msg(3, "configMapKeyRef", () => ConfigMapKeySelector, P),
  msg(4, "secretKeyRef", () => SecretKeySelector, P),
]);

const EnvVar = message("EnvVar", [
  string(1, "name", A),
  string(2, "value"),
  msg(3, "valueFrom", () => EnvVarSource, P),
]);

const ConfigMapEnvSource = message("ConfigMapEnvSource", [inlineLocalRef, bool(2, "optional", P)]);
const SecretEnvSource = message("SecretEnvSource", [inlineLocalRef, bool(2, "optional", P)]);

const EnvFromSource = message("EnvFromSource", [
  string(1, "prefix"),
  msg(2, "configMapRef", () => ConfigMapEnvSource, P),
  msg(3, "secretRef", () => SecretEnvSource, P),
]);

const ResourceClaim = message("ResourceClaim", [string(1, "name", A), string(2, "request")]);

export const ResourceRequirements = message("ResourceRequirements", [
  map(1, "limits", () => Quantity),
  map(2, "requests", () => Quantity),
  msgs(3, "claims", () => ResourceClaim),
]);

const ContainerResizePolicy = message("ContainerResizePolicy", [
  string(1, "resourceName", A),
  string(2, "restartPolicy", A),
]);

const VolumeMount = message("VolumeMount", [
  string(1, "name", A),
  bool(2, "readOnly"),
  string(7, "recursiveReadOnly", P),
  string(3, "mountPath", A),
  string(4, "subPath"),
  string(5, "mountPropagation", P),
  string(6, "subPathExpr"),
]);

const VolumeDevice = message("VolumeDevice", [string(1, "name", A), string(2, "devicePath", A)]);

const ExecAction = message("ExecAction", [strings(1, "command")]);

const HTTPHeader = message("HTTPHeader", [string(1, "name", A), string(2, "value", A)]);

const HTTPGetAction = message("HTTPGetAction", [
  string(1, "path"),
  msg(2, "port", () => IntOrString),
  string(3, "host"),
  string(4, "scheme"),
  msgs(5, "httpHeaders", () => HTTPHeader),
]);

const TCPSocketAction = message("TCPSocketAction", [msg(1, "port", () => IntOrString), string(2, "host")]);

const GRPCAction = message("GRPCAction", [int32(1, "port", A), string(2, "service", "nullable")]);

const SleepAction = message("SleepAction", [int64(1, "seconds", A)]);

const ProbeHandler = message("ProbeHandler", [
  msg(1, "exec", () => ExecAction, P),
  msg(2, "httpGet", () => HTTPGetAction, P),
  msg(3, "tcpSocket", () => TCPSocketAction, P),
  msg(4, "grpc", () => GRPCAction, P),
]);

const Probe = message("Probe", [
  inline(1, "handler", () => ProbeHandler),
  int32(2, "initialDelaySeconds"),
  int32(3, "timeoutSeconds"),
  int32(4, "periodSeconds"),
  int32(5, "successThreshold"),
  int32(6, "failureThreshold"),
  int64(7, "terminationGracePeriodSeconds", P),
]);

const LifecycleHandler = message("LifecycleHandler", [
  msg(1, "exec", () => ExecAction, P),
  msg(2, "httpGet", () => HTTPGetAction, P),
  msg(3, "tcpSocket", () => TCPSocketAction, P),
  msg(4, "sleep", () => SleepAction, P),
]);

const Lifecycle = message("Lifecycle", [
  msg(1, "postStart", () => LifecycleHandler, P),
  msg(2, "preStop", () => LifecycleHandler, P),
  string(3, "stopSignal", P),
]);

const Capabilities = message("Capabilities", [strings(1, "add"), strings(2, "drop")]);

export const SELinuxOptions = message("SELinuxOptions", [
  string(1, "user"),
  string(2, "role"),
  string(3, "type"),
  string(4, "level"),
]);

export const WindowsSecurityContextOptions = message("WindowsSecurityContextOptions", [
  string(1, "gmsaCredentialSpecName", P),
  string(2, "gmsaCredentialSpec", P),
  string(3, "runAsUserName", P),
  bool(4, "hostProcess", P),
]);

export const SeccompProfile = message("SeccompProfile", [string(1, "type", A), string(2, "localhostProfile", P)]);
export const AppArmorProfile = message("AppArmorProfile", [string(1, "type", A), string(2, "localhostProfile", P)]);

const SecurityContext = message("SecurityContext", [
  msg(1, "capabilities", () => Capabilities, P),
  bool(2, "privileged", P),
  msg(3, "seLinuxOptions", () => SELinuxOptions, P),
  msg(10, "windowsOptions", () => WindowsSecurityContextOptions, P),
  int64(4, "runAsUser", P),
  int64(8, "runAsGroup", P),
  bool(5, "runAsNonRoot", P),
  bool(6, "readOnlyRootFilesystem", P),
  bool(7, "allowPrivilegeEscalation", P),
  string(9, "procMount", P),
  msg(11, "seccompProfile", () => SeccompProfile, P),
  msg(12, "appArmorProfile", () => AppArmorProfile, P),
]);

/** The fields Container and EphemeralContainerCommon share, with the same numbers. */
const containerFields = () => [
  string(1, "name", A),
  string(2, "image"),
  strings(3, "command"),
  strings(4, "args"),
  string(5, "workingDir"),
  msgs(6, "ports", () => ContainerPort),
  msgs(19, "envFrom", () => EnvFromSource),
  msgs(7, "env", () => EnvVar),
  msg(8, "resources", () => ResourceRequirements),
  msgs(23, "resizePolicy", () => ContainerResizePolicy),
  string(24, "restartPolicy", P),
  msgs(9, "volumeMounts", () => VolumeMount),
  msgs(21, "volumeDevices", () => VolumeDevice),
  msg(10, "livenessProbe", () => Probe, P),
  msg(11, "readinessProbe", () => Probe, P),
  msg(22, "startupProbe", () => Probe, P),
  msg(12, "lifecycle", () => Lifecycle, P),
  string(13, "terminationMessagePath"),
  string(20, "terminationMessagePolicy"),
  string(14, "imagePullPolicy"),
  msg(15, "securityContext", () => SecurityContext, P),
  bool(16, "stdin"),
  bool(17, "stdinOnce"),
  bool(18, "tty"),
];

export const Container = message("Container", containerFields());

const EphemeralContainerCommon = message("EphemeralContainerCommon", containerFields());

/** EphemeralContainer { EphemeralContainerCommon = 1; targetContainerName = 2 }, the common part inlined. */
export const EphemeralContainer = message("EphemeralContainer", [
  inline(1, "ephemeralContainerCommon", () => EphemeralContainerCommon),
  string(2, "targetContainerName"),
]);

// ---- status ----

const ContainerStateWaiting = message("ContainerStateWaiting", [string(1, "reason"), string(2, "message")]);

const ContainerStateRunning = message("ContainerStateRunning", [msg(1, "startedAt", () => Time)]);

const ContainerStateTerminated = message("ContainerStateTerminated", [
  int32(1, "exitCode", A),
  int32(2, "signal"),
  string(3, "reason"),
  string(4, "message"),
  msg(5, "startedAt", () => Time),
  msg(6, "finishedAt", () => Time),
  string(7, "containerID"),
]);

const ContainerState = message("ContainerState", [
  msg(1, "waiting", () => ContainerStateWaiting, P),
  msg(2, "running", () => ContainerStateRunning, P),
  msg(3, "terminated", () => ContainerStateTerminated, P),
]);

const VolumeMountStatus = message("VolumeMountStatus", [
  string(1, "name", A),
  string(2, "mountPath", A),
  bool(3, "readOnly"),
  string(4, "recursiveReadOnly", P),
]);

const LinuxContainerUser = message("LinuxContainerUser", [
  int64(1, "uid", A),
  int64(2, "gid", A),
  ints(3, "supplementalGroups", "int64"),
]);

const ContainerUser = message("ContainerUser", [msg(1, "linux", () => LinuxContainerUser, P)]);

export const ContainerStatus = message("ContainerStatus", [
  string(1, "name", A),
  msg(2, "state", () => ContainerState),
  msg(3, "lastState", () => ContainerState),
  bool(4, "ready", A),
  int32(5, "restartCount", A),
  string(6, "image", A),
  string(7, "imageID", A),
  string(8, "containerID"),
  bool(9, "started", P),
  map(10, "allocatedResources", () => Quantity),
  msg(11, "resources", () => ResourceRequirements, P),
  msgs(12, "volumeMounts", () => VolumeMountStatus),
  msg(13, "user", () => ContainerUser, P),
]);
