import type { FormField } from "../methods/schema-form.ts";

/** Props of {@link ParameterForm}. */
export interface ParameterFormProps {
  fields: readonly FormField[];
  inputs: Readonly<Record<string, string | boolean>>;
  onChange(name: string, value: string | boolean): void;
}

/** One input per parameter field, labelled with its name; the schema's description is its help. */
export function ParameterForm({ fields, inputs, onChange }: ParameterFormProps) {
  if (fields.length === 0) return <p class="help">This method has no parameters.</p>;
  return (
    <div class="parameters">
      {fields.map((field) => {
        const id = `param-${field.name}`;
        const help = field.description ? <small id={`${id}-help`}>{field.description}</small> : null;
        const described = field.description ? `${id}-help` : undefined;
        const value = inputs[field.name];
        let input: preact.JSX.Element;
        if (field.kind === "boolean") {
          input = (
            <input
              id={id}
              type="checkbox"
              checked={value === true}
              aria-describedby={described}
              onChange={(event) => onChange(field.name, event.currentTarget.checked)}
            />
          );
        } else if (field.kind === "enum") {
          input = (
            <select
              id={id}
              value={String(value)}
              aria-describedby={described}
              onChange={(event) => onChange(field.name, event.currentTarget.value)}
            >
              {field.options.map((option) => (
                <option value={option}>{option}</option>
              ))}
            </select>
          );
        } else if (field.kind === "fixed") {
          input = <span id={id}>(default)</span>;
        } else {
          const numeric = field.kind === "number" || field.kind === "integer";
          const common = {
            id,
            value: String(value ?? ""),
            "aria-describedby": described,
            onInput: (event: preact.TargetedEvent<HTMLInputElement>) =>
              onChange(field.name, event.currentTarget.value),
          };
          input = numeric ? (
            <input
              {...common}
              type="number"
              step={field.kind === "integer" ? 1 : "any"}
              min={field.minimum}
              max={field.maximum}
            />
          ) : (
            <input {...common} type="text" />
          );
        }
        return (
          <div class="field">
            <label for={id}>{field.name}</label>
            {input}
            {help}
          </div>
        );
      })}
    </div>
  );
}
