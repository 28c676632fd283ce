// The shape of a module's generated parameter table (src/<module>/generated/spec.ts): what the shared
// conversion, validation and masking code needs to know about each option, without its prose.

export type OptionType = 'str' | 'path' | 'int' | 'float' | 'bool' | 'list' | 'dict' | 'raw' | 'duration';

export interface OptionSpec {
  readonly type: OptionType;
  readonly elements?: string;
  readonly choices?: readonly string[];
  readonly default?: unknown;
  readonly required?: boolean;
  readonly noLog?: boolean;
  readonly env?: readonly string[];
  readonly patternMessage?: string;
  readonly suboptions?: Readonly<Record<string, OptionSpec>>;
}

/** Ansible's required_if: [parameter, value, required parameters, any of them is enough]. */
export type RequiredIf = readonly [string, string, readonly string[], boolean?];

/** The ajv standalone validator generated for a module's schema. */
export interface Validator {
  (data: unknown): boolean;
  errors?: import('ajv').ErrorObject[] | null;
}

/** Everything the shared code needs to turn one module's raw arguments into typed parameters. */
export interface ParameterTable {
  readonly moduleName: string;
  readonly options: Readonly<Record<string, OptionSpec>>;
  readonly requiredIf: readonly RequiredIf[];
  readonly validate: Validator;
}
