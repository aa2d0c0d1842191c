// The package entry for `import ... from "extguard-guest"`: the SDK is
// assembly/index.ts.
export * from "./assembly/index";
