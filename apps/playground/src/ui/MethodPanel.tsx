import { useMemo, useState } from "preact/hooks";
import { formFields, formParameters, initialInputs } from "../methods/schema-form.ts";
import type { AttributeRequest, MethodDescriptor, StepFunctionDescriptor } from "../worker/protocol.ts";
import { ParameterForm } from "./ParameterForm.tsx";

/** Props of {@link MethodPanel}. */
export interface MethodPanelProps {
  methods: readonly MethodDescriptor[];
  stepFunctions: readonly StepFunctionDescriptor[];
  canRun: boolean;
  running: boolean;
  onAttribute(request: AttributeRequest): void;
  onCancel(): void;
}

/** Defaults as `tokenscope attribute`'s: saliency, probability, step score probability, 32 tokens. */
const defaults = {
  method: "saliency",
  attributedFunction: "probability",
  stepScores: ["probability"],
  maxNewTokens: 32,
};

/** Prompt, method with its generated parameter form, attributed function, step scores, generation. */
export function MethodPanel({
  methods,
  stepFunctions,
  canRun,
  running,
  onAttribute,
  onCancel,
}: MethodPanelProps) {
  const [prompt, setPrompt] = useState("Once upon a time");
  const [methodId, setMethodId] = useState(defaults.method);
  const method = methods.find((candidate) => candidate.id === methodId) ?? methods[0];
  const fields = useMemo(() => formFields(method?.parametersSchema), [method]);
  // Each method keeps its own edits; a method not edited yet shows its schema's defaults.
  const [editedInputs, setEditedInputs] = useState<Record<string, Record<string, string | boolean>>>({});
  const inputs = (method && editedInputs[method.id]) ?? initialInputs(fields);
  const setInput = (name: string, value: string | boolean) =>
    method && setEditedInputs((edited) => ({ ...edited, [method.id]: { ...inputs, [name]: value } }));
  const [attributedFunction, setAttributedFunction] = useState(defaults.attributedFunction);
  const [stepScores, setStepScores] = useState<string[]>(defaults.stepScores);
  const [maxNewTokens, setMaxNewTokens] = useState(String(defaults.maxNewTokens));
  const [forced, setForced] = useState(false);
  const [target, setTarget] = useState("");
  const [attributeTarget, setAttributeTarget] = useState(true);
  const toggleScore = (id: string, on: boolean) =>
    setStepScores((chosen) => (on ? [...chosen, id] : chosen.filter((score) => score !== id)));
  const submit = (event: Event) => {
    event.preventDefault();
    if (!method) return;
    onAttribute({
      prompt,
      method: method.id,
      parameters: formParameters(fields, inputs),
      attributedFunction,
      stepScores,
      maxNewTokens: Number(maxNewTokens),
      ...(forced ? { target } : {}),
      attributeTarget: attributeTarget && method.supportsTargetPrefix,
    });
  };
  return (
    <form class="panel" onSubmit={submit}>
      <div class="field wide">
        <label for="prompt">Prompt</label>
        <textarea
          id="prompt"
          rows={3}
          value={prompt}
          onInput={(event) => setPrompt(event.currentTarget.value)}
        />
      </div>
      <div class="row">
        <label for="method">Method</label>
        <select id="method" value={method?.id} onChange={(event) => setMethodId(event.currentTarget.value)}>
          {methods.map((candidate) => (
            <option value={candidate.id}>{candidate.id}</option>
          ))}
        </select>
        <span class="help">{method?.summary}</span>
      </div>
      <ParameterForm fields={fields} inputs={inputs} onChange={setInput} />
      <div class="row">
        <label for="attributed-fn">Attributed function</label>
        <select
          id="attributed-fn"
          value={attributedFunction}
          onChange={(event) => setAttributedFunction(event.currentTarget.value)}
        >
          {stepFunctions
            .filter((step) => step.differentiable || step.id === attributedFunction)
            .map((step) => (
              <option value={step.id}>{step.id}</option>
            ))}
        </select>
      </div>
      <fieldset class="step-scores">
        <legend>Step scores</legend>
        {stepFunctions.map((step) => (
          <label title={step.summary}>
            <input
              type="checkbox"
              checked={stepScores.includes(step.id)}
              onChange={(event) => toggleScore(step.id, event.currentTarget.checked)}
            />
            {step.id}
          </label>
        ))}
      </fieldset>
      <div class="row">
        <label>
          <input
            type="checkbox"
            checked={forced}
            onChange={(event) => setForced(event.currentTarget.checked)}
          />
          Forced target
        </label>
        {forced ? (
          <>
            <label for="target">Target text</label>
            <input
              id="target"
              type="text"
              value={target}
              onInput={(event) => setTarget(event.currentTarget.value)}
            />
          </>
        ) : (
          <>
            <label for="max-new-tokens">Max new tokens</label>
            <input
              id="max-new-tokens"
              type="number"
              min={1}
              value={maxNewTokens}
              onInput={(event) => setMaxNewTokens(event.currentTarget.value)}
            />
          </>
        )}
        <label>
          <input
            type="checkbox"
            checked={attributeTarget}
            onChange={(event) => setAttributeTarget(event.currentTarget.checked)}
          />
          Attribute target
        </label>
      </div>
      <div class="row">
        <button type="submit" disabled={!canRun || running || !method}>
          Attribute
        </button>
        <button type="button" disabled={!running} onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
