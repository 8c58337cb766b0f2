import { describe, expect, test } from "bun:test";
import { validateObjectMeta, validateObjectMetaUpdate } from "../../src/machinery/validation/object-meta.ts";
import { errors, fieldErrorText, type FieldError } from "../../src/machinery/status.ts";

const ns = { namespaced: true, nameValidation: "subdomain" as const };
const cluster = { namespaced: false, nameValidation: "subdomain" as const };
const texts = (errs: FieldError[]) => errs.map(fieldErrorText);

describe("validateObjectMeta", () => {
  test("a valid namespaced object has no errors", () => {
    expect(
      validateObjectMeta(
        { name: "demo", namespace: "default", labels: { app: "x" }, annotations: { "Example.com/Note": "hi" } },
        ns,
      ),
    ).toEqual([]);
  });

  test("the 422 text kubectl shows for a bad name", () => {
    const errs = validateObjectMeta({ name: "Bad_Name", namespace: "default" }, ns);
    expect(errors.invalid("ConfigMap", "", "Bad_Name", errs).message).toBe(
      `ConfigMap "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`,
    );
  });

  test("name or generateName", () => {
    expect(texts(validateObjectMeta({ namespace: "default" }, ns))).toEqual([
      "metadata.name: Required value: name or generateName is required",
    ]);
    expect(validateObjectMeta({ generateName: "demo-", namespace: "default" }, ns)).toEqual([]);
    expect(validateObjectMeta({}, { ...cluster, requireName: false })).toEqual([]);
    expect(texts(validateObjectMeta({ generateName: "Demo-", namespace: "default" }, ns))[0]).toStartWith(
      'metadata.generateName: Invalid value: "Demo-": a lowercase RFC 1123 subdomain',
    );
  });

  test("name rules per kind", () => {
    expect(texts(validateObjectMeta({ name: "a.b" }, { namespaced: false, nameValidation: "label" }))).toEqual([
      'metadata.name: Invalid value: "a.b": must not contain dots',
    ]);
    expect(validateObjectMeta({ name: "system:admin" }, { namespaced: false, nameValidation: "path-segment" })).toEqual(
      [],
    );
    expect(texts(validateObjectMeta({ name: ".." }, { namespaced: false, nameValidation: "path-segment" }))).toEqual([
      `metadata.name: Invalid value: "..": may not be '..'`,
    ]);
  });

  test("namespace required or forbidden by scope", () => {
    expect(texts(validateObjectMeta({ name: "a" }, ns))).toEqual(["metadata.namespace: Required value"]);
    expect(texts(validateObjectMeta({ name: "a", namespace: "x" }, cluster))).toEqual([
      "metadata.namespace: Forbidden: not allowed on this type",
    ]);
    expect(texts(validateObjectMeta({ name: "a", namespace: "a.b" }, ns))).toEqual([
      'metadata.namespace: Invalid value: "a.b": must not contain dots',
    ]);
  });

  test("labels: keys and values", () => {
    const errs = texts(validateObjectMeta({ name: "a", labels: { "x y": "ok", k: "bad value" } }, cluster));
    expect(errs).toHaveLength(2);
    expect(errs[0]).toStartWith(
      'metadata.labels: Invalid value: "x y": name part must consist of alphanumeric characters',
    );
    expect(errs[1]).toStartWith('metadata.labels: Invalid value: "bad value": a valid label must be an empty string');
  });

  test("annotations: case-insensitive keys and total size", () => {
    expect(
      validateObjectMeta({ name: "a", annotations: { "Kubectl.Kubernetes.IO/Last-Applied": "{}" } }, cluster),
    ).toEqual([]);
    expect(texts(validateObjectMeta({ name: "a", annotations: { "a b": "" } }, cluster))[0]).toStartWith(
      'metadata.annotations: Invalid value: "a b": name part',
    );
    const big = { a: "x".repeat(256 * 1024) };
    const errs = validateObjectMeta({ name: "a", annotations: big }, cluster);
    expect(errs).toHaveLength(1);
    expect(errs[0]?.type).toBe("FieldValueTooLong");
    expect(fieldErrorText(errs[0] as FieldError)).toBe(
      "metadata.annotations: Too long: may not be more than 262144 bytes",
    );
    expect(validateObjectMeta({ name: "a", annotations: { a: "x".repeat(256 * 1024 - 1) } }, cluster)).toEqual([]);
  });

  test("finalizers", () => {
    expect(validateObjectMeta({ name: "a", finalizers: ["kubernetes", "example.com/cleanup"] }, cluster)).toEqual([]);
    expect(texts(validateObjectMeta({ name: "a", finalizers: ["bad one"] }, cluster))[0]).toStartWith(
      'metadata.finalizers: Invalid value: "bad one": name part',
    );
    expect(texts(validateObjectMeta({ name: "a", finalizers: ["orphan", "foregroundDeletion"] }, cluster))).toEqual([
      'metadata.finalizers: Invalid value: ["orphan","foregroundDeletion"]: finalizer orphan and foregroundDeletion cannot be both set',
    ]);
  });

  test("ownerReferences", () => {
    const good = { apiVersion: "v1", kind: "ConfigMap", name: "o", uid: "u1" };
    expect(validateObjectMeta({ name: "a", ownerReferences: [good] }, cluster)).toEqual([]);
    expect(
      texts(
        validateObjectMeta({ name: "a", ownerReferences: [{ apiVersion: "", kind: "", name: "", uid: "" }] }, cluster),
      ),
    ).toEqual([
      'metadata.ownerReferences.apiVersion: Invalid value: "": version must not be empty',
      'metadata.ownerReferences.kind: Invalid value: "": must not be empty',
      'metadata.ownerReferences.name: Invalid value: "": must not be empty',
      'metadata.ownerReferences.uid: Invalid value: "": must not be empty',
    ]);
    const two = [
      { ...good, controller: true },
      { ...good, name: "p", uid: "u2", controller: true },
    ];
    expect(texts(validateObjectMeta({ name: "a", ownerReferences: two }, cluster))[0]).toEndWith(
      'Only one reference can have Controller set to true. Found "true" in references for ConfigMap/o and ConfigMap/p',
    );
    expect(texts(validateObjectMeta({ name: "a", ownerReferences: [{ ...good, kind: "Event" }] }, cluster))).toEqual([
      'metadata.ownerReferences: Invalid value: v1.OwnerReference{APIVersion:"v1", Kind:"Event", Name:"o", UID:"u1", Controller:(*bool)(nil), BlockOwnerDeletion:(*bool)(nil)}: /v1, Kind=Event is disallowed from being an owner',
    ]);
  });

  test("ownerReferences: the controller rule names the first and each later controller", () => {
    const ref = (name: string, controller?: boolean) => ({
      apiVersion: "apps/v1",
      kind: "ReplicaSet",
      name,
      uid: `uid-${name}`,
      ...(controller === undefined ? {} : { controller }),
    });
    // controller: false and an absent controller do not count.
    expect(
      validateObjectMeta({ name: "a", ownerReferences: [ref("a", true), ref("b", false), ref("c")] }, cluster),
    ).toEqual([]);
    const errs = validateObjectMeta(
      { name: "a", ownerReferences: [ref("a", true), ref("b", true), ref("c", true)] },
      cluster,
    );
    expect(errs.map((e) => [e.type, e.field, e.detail])).toEqual([
      [
        "FieldValueInvalid",
        "metadata.ownerReferences",
        'Only one reference can have Controller set to true. Found "true" in references for ReplicaSet/a and ReplicaSet/b',
      ],
      [
        "FieldValueInvalid",
        "metadata.ownerReferences",
        'Only one reference can have Controller set to true. Found "true" in references for ReplicaSet/a and ReplicaSet/c',
      ],
    ]);
    expect(texts(errs)[0]).toStartWith(
      'metadata.ownerReferences: Invalid value: []v1.OwnerReference{v1.OwnerReference{APIVersion:"apps/v1", Kind:"ReplicaSet", Name:"a", UID:"uid-a", Controller:(*bool)(0xc000000000), BlockOwnerDeletion:(*bool)(nil)}, v1.OwnerReference{',
    );
  });

  test("ownerReferences: apiVersion must parse as group/version with a version", () => {
    const withVersion = (apiVersion: string) =>
      texts(
        validateObjectMeta({ name: "a", ownerReferences: [{ apiVersion, kind: "K", name: "n", uid: "u" }] }, cluster),
      );
    expect(withVersion("v1")).toEqual([]);
    expect(withVersion("example.com/v1alpha1")).toEqual([]);
    for (const bad of ["/", "apps/", "a/b/c"]) {
      expect(withVersion(bad)).toEqual([
        `metadata.ownerReferences.apiVersion: Invalid value: ${JSON.stringify(bad)}: version must not be empty`,
      ]);
    }
    // Only the legacy group's Event is banned; an Event of another group may own.
    expect(
      validateObjectMeta(
        { name: "a", ownerReferences: [{ apiVersion: "events.k8s.io/v1", kind: "Event", name: "n", uid: "u" }] },
        cluster,
      ),
    ).toEqual([]);
  });

  test("ownerReferences: fields of the wrong type count as empty, entries of the wrong shape are reported", () => {
    expect(
      texts(
        validateObjectMeta(
          { name: "a", ownerReferences: [{ apiVersion: "v1", kind: 3, name: "n", uid: {} }] },
          cluster,
        ),
      ),
    ).toEqual([
      'metadata.ownerReferences.kind: Invalid value: "": must not be empty',
      'metadata.ownerReferences.uid: Invalid value: "": must not be empty',
    ]);
    expect(texts(validateObjectMeta({ name: "a", ownerReferences: ["x"] as unknown[] }, cluster))).toEqual([
      'metadata.ownerReferences: Invalid value: "x": must be an owner reference object',
    ]);
  });

  test("generation and managedFields", () => {
    expect(texts(validateObjectMeta({ name: "a", generation: -1 }, cluster))).toEqual([
      "metadata.generation: Invalid value: -1: must be greater than or equal to 0",
    ]);
    const mf = [{ manager: "kubectl", operation: "Patch", fieldsType: "FieldsV2" }];
    expect(texts(validateObjectMeta({ name: "a", managedFields: mf }, cluster))).toEqual([
      'metadata.managedFields[0].operation: Invalid value: "Patch": must be `Apply` or `Update`',
      'metadata.managedFields[0].fieldsType: Invalid value: "FieldsV2": must be `FieldsV1`',
    ]);
    expect(
      texts(validateObjectMeta({ name: "a", managedFields: [{ manager: "a\u0007", operation: "Update" }] }, cluster)),
    ).toEqual([
      'metadata.managedFields[0].manager: Invalid value: "a\\u0007": invalid character U+0007 (at position 1)',
    ]);
  });

  test("wrong types are reported, not thrown", () => {
    expect(validateObjectMeta({ name: "a", labels: { a: 1 } as never }, cluster)[0]?.type).toBe(
      "FieldValueTypeInvalid",
    );
    expect(validateObjectMeta({ name: "a", finalizers: "x" as never }, cluster)[0]?.field).toBe("metadata.finalizers");
  });
});

describe("validateObjectMetaUpdate", () => {
  const old = {
    name: "a",
    namespace: "default",
    uid: "u1",
    resourceVersion: "5",
    creationTimestamp: "2024-01-01T00:00:00Z",
    generation: 2,
  };

  test("unchanged identity is fine", () => {
    expect(validateObjectMetaUpdate({ ...old, labels: { x: "y" } }, old)).toEqual([]);
  });

  test("immutable fields", () => {
    const errs = texts(validateObjectMetaUpdate({ ...old, name: "b", namespace: "other", uid: "u2" }, old));
    expect(errs).toEqual([
      'metadata.name: Invalid value: "b": field is immutable',
      'metadata.namespace: Invalid value: "other": field is immutable',
      'metadata.uid: Invalid value: "u2": field is immutable',
    ]);
    expect(texts(validateObjectMetaUpdate({ ...old, creationTimestamp: undefined }, old))).toEqual([
      "metadata.creationTimestamp: Invalid value: null: field is immutable",
    ]);
    expect(texts(validateObjectMetaUpdate({ ...old, deletionGracePeriodSeconds: 0 }, old))).toEqual([
      "metadata.deletionGracePeriodSeconds: Invalid value: 0: field is immutable",
    ]);
  });

  test("resourceVersion and generation", () => {
    expect(texts(validateObjectMetaUpdate({ ...old, resourceVersion: "" }, old))).toEqual([
      'metadata.resourceVersion: Invalid value: "": must be specified for an update',
    ]);
    expect(texts(validateObjectMetaUpdate({ ...old, generation: 1 }, old))).toEqual([
      "metadata.generation: Invalid value: 1: must not be decremented",
    ]);
  });

  test("no new finalizers while deleting", () => {
    const deleting = { ...old, deletionTimestamp: "2024-01-02T00:00:00Z", finalizers: ["a"] };
    expect(validateObjectMetaUpdate({ ...deleting, finalizers: [] }, deleting)).toEqual([]);
    expect(texts(validateObjectMetaUpdate({ ...deleting, finalizers: ["a", "c", "b"] }, deleting))).toEqual([
      'metadata.finalizers: Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{"b", "c"}',
    ]);
  });
});
