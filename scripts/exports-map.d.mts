/** Types for exports-map.mjs, so TypeScript tests can use the same derivation. */
export interface PackageJson {
  name: string;
  exports: Record<string, unknown>;
  [key: string]: unknown;
}
export declare const CONDITION_KEYS: readonly (readonly ['import' | 'require', 'types' | 'default'])[];
export declare function readPackage(root: string): PackageJson;
export declare function listSubpaths(pkg: { exports: Record<string, unknown> }): string[];
export declare function entryName(subpath: string): string;
export declare function specifierOf(name: string, subpath: string): string;
export declare function sourceOf(root: string, subpath: string): string | undefined;
export declare function targetsOf(
  pkg: { exports: Record<string, unknown> },
  subpath: string,
): { condition: string; target: string | undefined }[];
