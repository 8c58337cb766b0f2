// k8s.io/api/core/v1: pod volumes, every volume source, projections, and the PersistentVolumeClaim
// that StatefulSets and ephemeral volumes embed (Kubernetes 1.33). Field numbers from core/v1
// generated.proto; presence from the Go structs' json tags (pointers keep zeros, value fields with
// omitempty drop them, fields without omitempty are always written).

import { bool, inline, int32, int64, map, message, msg, msgs, string, strings } from "../schema.ts";
import { LocalObjectReference } from "./core-v1.ts";
import { LabelSelector, ObjectMeta, Time } from "./meta-v1.ts";
import { Quantity } from "./values.ts";

const P = "pointer";
const A = "always";
const N = "nullable";
const localRef = (no: number, name = "secretRef") => msg(no, name, () => LocalObjectReference, P);
const inlineLocalRef = inline(1, "localObjectReference", () => LocalObjectReference);

export const KeyToPath = message("KeyToPath", [string(1, "key", A), string(2, "path", A), int32(3, "mode", P)]);

export const ObjectFieldSelector = message("ObjectFieldSelector", [string(1, "apiVersion"), string(2, "fieldPath", A)]);

/** divisor is a Quantity value: Go writes it ("0") even when unset. */
export const ResourceFieldSelector = message("ResourceFieldSelector", [
  string(1, "containerName"),
  string(2, "resource", A),
  msg(3, "divisor", () => Quantity),
]);

const HostPathVolumeSource = message("HostPathVolumeSource", [string(1, "path", A), string(2, "type", P)]);

const EmptyDirVolumeSource = message("EmptyDirVolumeSource", [
  string(1, "medium"),
  msg(2, "sizeLimit", () => Quantity, P),
]);

const GCEPersistentDiskVolumeSource = message("GCEPersistentDiskVolumeSource", [
  string(1, "pdName", A),
  string(2, "fsType"),
  int32(3, "partition"),
  bool(4, "readOnly"),
]);

const AWSElasticBlockStoreVolumeSource = message("AWSElasticBlockStoreVolumeSource", [
  string(1, "volumeID", A),
  string(2, "fsType"),
  int32(3, "partition"),
  bool(4, "readOnly"),
]);

const GitRepoVolumeSource = message("GitRepoVolumeSource", [
  string(1, "repository", A),
  string(2, "revision"),
  string(3, "directory"),
]);

const SecretVolumeSource = message("SecretVolumeSource", [
  string(1, "secretName"),
  msgs(2, "items", () => KeyToPath),
  int32(3, "defaultMode", P),
  bool(4, "optional", P),
]);

const NFSVolumeSource = message("NFSVolumeSource", [string(1, "server", A), string(2, "path", A), bool(3, "readOnly")]);

const ISCSIVolumeSource = message("ISCSIVolumeSource", [
  string(1, "targetPortal", A),
  string(2, "iqn", A),
  int32(3, "lun", A),
  string(4, "iscsiInterface"),
  string(5, "fsType"),
  bool(6, "readOnly"),
  strings(7, "portals"),
  bool(8, "chapAuthDiscovery"),
  bool(11, "chapAuthSession"),
  localRef(10),
  string(12, "initiatorName", P),
]);

const GlusterfsVolumeSource = message("GlusterfsVolumeSource", [
  string(1, "endpoints", A),
  string(2, "path", A),
  bool(3, "readOnly"),
]);

const PersistentVolumeClaimVolumeSource = message("PersistentVolumeClaimVolumeSource", [
  string(1, "claimName", A),
  bool(2, "readOnly"),
]);

const RBDVolumeSource = message("RBDVolumeSource", [
  strings(1, "monitors", A),
  string(2, "image", A),
  string(3, "fsType"),
  string(4, "pool"),
  string(5, "user"),
  string(6, "keyring"),
  localRef(7),
  bool(8, "readOnly"),
]);

const FlexVolumeSource = message("FlexVolumeSource", [
  string(1, "driver", A),
  string(2, "fsType"),
  localRef(3),
  bool(4, "readOnly"),
  map(5, "options", "string"),
]);

const CinderVolumeSource = message("CinderVolumeSource", [
  string(1, "volumeID", A),
  string(2, "fsType"),
  bool(3, "readOnly"),
  localRef(4),
]);

const CephFSVolumeSource = message("CephFSVolumeSource", [
  strings(1, "monitors", A),
  string(2, "path"),
  string(3, "user"),
  string(4, "secretFile"),
  localRef(5),
  bool(6, "readOnly"),
]);

const FlockerVolumeSource = message("FlockerVolumeSource", [string(1, "datasetName"), string(2, "datasetUUID")]);

const DownwardAPIVolumeFile = message("DownwardAPIVolumeFile", [
  string(1, "path", A),
  msg(2, "fieldRef", () => ObjectFieldSelector, P),
  msg(3, "resourceFieldRef", () => ResourceFieldSelector, P),
  int32(4, "mode", P),
]);

const DownwardAPIVolumeSource = message("DownwardAPIVolumeSource", [
  msgs(1, "items", () => DownwardAPIVolumeFile),
  int32(2, "defaultMode", P),
]);

const FCVolumeSource = message("FCVolumeSource", [
  strings(1, "targetWWNs"),
  int32(2, "lun", P),
  string(3, "fsType"),
  bool(4, "readOnly"),
  strings(5, "wwids"),
]);

const AzureFileVolumeSource = message("AzureFileVolumeSource", [
  string(1, "secretName", A),
  string(2, "shareName", A),
  bool(3, "readOnly"),
]);

const ConfigMapVolumeSource = message("ConfigMapVolumeSource", [
  inlineLocalRef,
  msgs(2, "items", () => KeyToPath),
  int32(3, "defaultMode", P),
  bool(4, "optional", P),
]);

const VsphereVirtualDiskVolumeSource = message("VsphereVirtualDiskVolumeSource", [
  string(1, "volumePath", A),
  string(2, "fsType"),
  string(3, "storagePolicyName"),
  string(4, "storagePolicyID"),
]);

const QuobyteVolumeSource = message("QuobyteVolumeSource", [
  string(1, "registry", A),
  string(2, "volume", A),
  bool(3, "readOnly"),
  string(4, "user"),
  string(5, "group"),
  string(6, "tenant"),
]);

const AzureDiskVolumeSource = message("AzureDiskVolumeSource", [
  string(1, "diskName", A),
  string(2, "diskURI", A),
  string(3, "cachingMode", P),
  string(4, "fsType", P),
  bool(5, "readOnly", P),
  string(6, "kind", P),
]);

const PhotonPersistentDiskVolumeSource = message("PhotonPersistentDiskVolumeSource", [
  string(1, "pdID", A),
  string(2, "fsType"),
]);

const SecretProjection = message("SecretProjection", [
  inlineLocalRef,
  msgs(2, "items", () => KeyToPath),
  bool(4, "optional", P),
]);

const DownwardAPIProjection = message("DownwardAPIProjection", [msgs(1, "items", () => DownwardAPIVolumeFile)]);

const ConfigMapProjection = message("ConfigMapProjection", [
  inlineLocalRef,
  msgs(2, "items", () => KeyToPath),
  bool(4, "optional", P),
]);

const ServiceAccountTokenProjection = message("ServiceAccountTokenProjection", [
  string(1, "audience"),
  int64(2, "expirationSeconds", P),
  string(3, "path", A),
]);

const ClusterTrustBundleProjection = message("ClusterTrustBundleProjection", [
  string(1, "name", P),
  string(2, "signerName", P),
  msg(3, "labelSelector", () => LabelSelector, P),
  bool(5, "optional", P),
  string(4, "path", A),
]);

const VolumeProjection = message("VolumeProjection", [
  msg(1, "secret", () => SecretProjection, P),
  msg(2, "downwardAPI", () => DownwardAPIProjection, P),
  msg(3, "configMap", () => ConfigMapProjection, P),
  msg(4, "serviceAccountToken", () => ServiceAccountTokenProjection, P),
  msg(5, "clusterTrustBundle", () => ClusterTrustBundleProjection, P),
]);

const ProjectedVolumeSource = message("ProjectedVolumeSource", [
  msgs(1, "sources", () => VolumeProjection, A),
  int32(2, "defaultMode", P),
]);

const PortworxVolumeSource = message("PortworxVolumeSource", [
  string(1, "volumeID", A),
  string(2, "fsType"),
  bool(3, "readOnly"),
]);

const ScaleIOVolumeSource = message("ScaleIOVolumeSource", [
  string(1, "gateway", A),
  string(2, "system", A),
  msg(3, "secretRef", () => LocalObjectReference, N),
  bool(4, "sslEnabled"),
  string(5, "protectionDomain"),
  string(6, "storagePool"),
  string(7, "storageMode"),
  string(8, "volumeName"),
  string(9, "fsType"),
  bool(10, "readOnly"),
]);

const StorageOSVolumeSource = message("StorageOSVolumeSource", [
  string(1, "volumeName"),
  string(2, "volumeNamespace"),
  string(3, "fsType"),
  bool(4, "readOnly"),
  localRef(5),
]);

const CSIVolumeSource = message("CSIVolumeSource", [
  string(1, "driver", A),
  bool(2, "readOnly", P),
  string(3, "fsType", P),
  map(4, "volumeAttributes", "string"),
  localRef(5, "nodePublishSecretRef"),
]);

export const TypedLocalObjectReference = message("TypedLocalObjectReference", [
  string(1, "apiGroup", N),
  string(2, "kind", A),
  string(3, "name", A),
]);

const TypedObjectReference = message("TypedObjectReference", [
  string(1, "apiGroup", N),
  string(2, "kind", A),
  string(3, "name", A),
  string(4, "namespace", P),
]);

const VolumeResourceRequirements = message("VolumeResourceRequirements", [
  map(1, "limits", () => Quantity),
  map(2, "requests", () => Quantity),
]);

export const PersistentVolumeClaimSpec = message("PersistentVolumeClaimSpec", [
  strings(1, "accessModes"),
  msg(4, "selector", () => LabelSelector, P),
  msg(2, "resources", () => VolumeResourceRequirements),
  string(3, "volumeName"),
  string(5, "storageClassName", P),
  string(6, "volumeMode", P),
  msg(7, "dataSource", () => TypedLocalObjectReference, P),
  msg(8, "dataSourceRef", () => TypedObjectReference, P),
  string(9, "volumeAttributesClassName", P),
]);

const PersistentVolumeClaimCondition = message("PersistentVolumeClaimCondition", [
  string(1, "type", A),
  string(2, "status", A),
  msg(3, "lastProbeTime", () => Time),
  msg(4, "lastTransitionTime", () => Time),
  string(5, "reason"),
  string(6, "message"),
]);

const ModifyVolumeStatus = message("ModifyVolumeStatus", [
  string(1, "targetVolumeAttributesClassName"),
  string(2, "status", A),
]);

const PersistentVolumeClaimStatus = message("PersistentVolumeClaimStatus", [
  string(1, "phase"),
  strings(2, "accessModes"),
  map(3, "capacity", () => Quantity),
  msgs(4, "conditions", () => PersistentVolumeClaimCondition),
  map(5, "allocatedResources", () => Quantity),
  map(7, "allocatedResourceStatuses", "string"),
  string(8, "currentVolumeAttributesClassName", P),
  msg(9, "modifyVolumeStatus", () => ModifyVolumeStatus, P),
]);

export const PersistentVolumeClaim = message("PersistentVolumeClaim", [
  msg(1, "metadata", () => ObjectMeta),
  msg(2, "spec", () => PersistentVolumeClaimSpec),
  msg(3, "status", () => PersistentVolumeClaimStatus),
]);

const PersistentVolumeClaimTemplate = message("PersistentVolumeClaimTemplate", [
  msg(1, "metadata", () => ObjectMeta),
  msg(2, "spec", () => PersistentVolumeClaimSpec),
]);

const EphemeralVolumeSource = message("EphemeralVolumeSource", [
  msg(1, "volumeClaimTemplate", () => PersistentVolumeClaimTemplate, P),
]);

const ImageVolumeSource = message("ImageVolumeSource", [string(1, "reference"), string(2, "pullPolicy")]);

/** One member is set; Go writes only the set one (all are pointers). */
const VolumeSource = message("VolumeSource", [
  msg(1, "hostPath", () => HostPathVolumeSource, P),
  msg(2, "emptyDir", () => EmptyDirVolumeSource, P),
  msg(3, "gcePersistentDisk", () => GCEPersistentDiskVolumeSource, P),
  msg(4, "awsElasticBlockStore", () => AWSElasticBlockStoreVolumeSource, P),
  msg(5, "gitRepo", () => GitRepoVolumeSource, P),
  msg(6, "secret", () => SecretVolumeSource, P),
  msg(7, "nfs", () => NFSVolumeSource, P),
  msg(8, "iscsi", () => ISCSIVolumeSource, P),
  msg(9, "glusterfs", () => GlusterfsVolumeSource, P),
  msg(10, "persistentVolumeClaim", () => PersistentVolumeClaimVolumeSource, P),
  msg(11, "rbd", () => RBDVolumeSource, P),
  msg(12, "flexVolume", () => FlexVolumeSource, P),
  msg(13, "cinder", () => CinderVolumeSource, P),
  msg(14, "cephfs", () => CephFSVolumeSource, P),
  msg(15, "flocker", () => FlockerVolumeSource, P),
  msg(16, "downwardAPI", () => DownwardAPIVolumeSource, P),
  msg(17, "fc", () => FCVolumeSource, P),
  msg(18, "azureFile", () => AzureFileVolumeSource, P),
  msg(19, "configMap", () => ConfigMapVolumeSource, P),
  msg(20, "vsphereVolume", () => VsphereVirtualDiskVolumeSource, P),
  msg(21, "quobyte", () => QuobyteVolumeSource, P),
  msg(22, "azureDisk", () => AzureDiskVolumeSource, P),
  msg(23, "photonPersistentDisk", () => PhotonPersistentDiskVolumeSource, P),
  msg(26, "projected", () => ProjectedVolumeSource, P),
  msg(24, "portworxVolume", () => PortworxVolumeSource, P),
  msg(25, "scaleIO", () => ScaleIOVolumeSource, P),
  msg(27, "storageos", () => StorageOSVolumeSource, P),
  msg(28, "csi", () => CSIVolumeSource, P),
  msg(29, "ephemeral", () => EphemeralVolumeSource, P),
  msg(30, "image", () => ImageVolumeSource, P),
]);

/** Volume { name = 1; VolumeSource volumeSource = 2 }, the source inlined in JSON. */
export const Volume = message("Volume", [string(1, "name", A), inline(2, "volumeSource", () => VolumeSource)]);
