// Capabilities say what a kind can do where kube serves built-in kinds and custom resources
// differently; the definition builders set them, and hand-built definitions get their source's.
import { expect, test } from "bun:test";
import { BUILTIN_CAPABILITIES, CUSTOM_RESOURCE_CAPABILITIES, capabilitiesOf } from "../../src/apis/capabilities.ts";
import { builtinResources } from "../../src/apis/builtin/index.ts";
import type { ResourceDef } from "../../src/apis/types.ts";

test("every built-in kind has the built-in capabilities", () => {
  for (const def of builtinResources({} as never)) expect(def.capabilities).toBe(BUILTIN_CAPABILITIES);
  expect(BUILTIN_CAPABILITIES).toMatchObject({
    strategicMergePatch: true,
    protobuf: true,
    schema: "builtin",
    verbOrder: "sorted",
    deleteReturnsObject: false,
  });
  expect(CUSTOM_RESOURCE_CAPABILITIES).toMatchObject({
    strategicMergePatch: false,
    protobuf: false,
    schema: "custom",
    verbOrder: "declared",
    deleteReturnsObject: true,
  });
});

test("a definition without capabilities gets its source's; its own win", () => {
  const bare = { group: "example.com", version: "v1", plural: "widgets", kind: "Widget" } as ResourceDef;
  expect(capabilitiesOf({ ...bare, source: "crd" })).toBe(CUSTOM_RESOURCE_CAPABILITIES);
  expect(capabilitiesOf({ ...bare, source: "builtin" })).toBe(BUILTIN_CAPABILITIES);
  const own = { ...CUSTOM_RESOURCE_CAPABILITIES, protobuf: true };
  expect(capabilitiesOf({ ...bare, source: "crd", capabilities: own })).toBe(own);
});
