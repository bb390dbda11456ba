import { isTokenscopeError } from "@tokenscope/core";
import { describe, expect, it } from "vitest";
import { buildHfTokenizerFiles, type HfTokenizerStyle } from "../hf/random-tokenizer.ts";
import { createHfPretrainedTokenizer, hfTokenizerFromJson } from "./hf-pretrained.ts";

const files = (style: HfTokenizerStyle = "sentencepiece") => buildHfTokenizerFiles({ style, vocabSize: 400 });

/** The TokenscopeError `run` throws, with its code checked. */
function thrown(run: () => unknown, code: string): Error {
  try {
    run();
  } catch (error) {
    expect(isTokenscopeError(error), String(error)).toBe(true);
    expect((error as { code: string }).code).toBe(code);
    return error as Error;
  }
  return expect.unreachable("no error");
}

describe("hfTokenizerFromJson: a tokenizer from parsed files, no file access", () => {
  it("encodes with spans, names its class and its special ids", async () => {
    const tokenizer = hfTokenizerFromJson(files());
    expect(tokenizer.description).toBe("Hugging Face LlamaTokenizer, 400 tokens");
    expect(tokenizer.specialTokens).toEqual({ bos: 1, eos: [2], pad: 3, unk: 0 });
    const tokens = await tokenizer.encode("The river", { addSpecialTokens: true });
    expect(tokens[0]).toEqual({ id: 1, text: "", span: null, special: true, piece: "<s>" });
    expect(tokens.map((token) => token.text).join("")).toBe("The river");
    const name = hfTokenizerFromJson(files("byte-level"), { name: "mine", extraEosTokenIds: [5] });
    expect(name.description).toBe("mine, 400 tokens");
    expect(name.specialTokens.eos).toEqual([2, 5]);
  });

  it("without tokenizer_config.json: no special token named, no chat template (transformers.js's base class)", () => {
    const { tokenizerJson } = files();
    const tokenizer = hfTokenizerFromJson({ tokenizerJson });
    expect(tokenizer.specialTokens).toEqual({});
    expect(tokenizer.applyChatTemplate).toBeUndefined();
    expect(tokenizer.description).toBe("Hugging Face PreTrainedTokenizer, 400 tokens");
  });
});

describe("createHfPretrainedTokenizer: what transformers.js 4.3 does", () => {
  it("reads special tokens as strings, AddedToken objects and {content} objects; pad falls back to eos", () => {
    const { tokenizerJson, tokenizerConfig } = files();
    const tokenizer = createHfPretrainedTokenizer({
      tokenizerJson,
      tokenizerConfig: {
        ...tokenizerConfig,
        bos_token: { __type: "AddedToken", content: "<s>", lstrip: false },
        eos_token: { content: "<|im_end|>" },
        pad_token: null,
        unk_token: "",
      },
    });
    expect(tokenizer.bos_token_id).toBe(1);
    expect(tokenizer.eos_token_id).toBe(5);
    expect(tokenizer.pad_token_id).toBe(5);
    expect(tokenizer.unk_token_id).toBe(null);
    expect(tokenizer.all_special_ids).toEqual([0, 1, 2, 3, 4, 5]);
    expect(tokenizer.get_vocab().get("<|im_start|>")).toBe(4);
  });

  it("adds BOS from tokenizer.json's post-processor alone: add_bos_token/add_eos_token change nothing", () => {
    const { tokenizerJson, tokenizerConfig } = files();
    const plain = createHfPretrainedTokenizer({ tokenizerJson, tokenizerConfig });
    const flagged = createHfPretrainedTokenizer({
      tokenizerJson,
      tokenizerConfig: { ...tokenizerConfig, add_bos_token: false, add_eos_token: true, legacy: false },
    });
    const ids = plain.encode("The river", { add_special_tokens: true });
    expect(ids[0]).toBe(1);
    expect(flagged.encode("The river", { add_special_tokens: true })).toEqual(ids);
    expect(plain.encode("The river", { add_special_tokens: false })).toEqual(ids.slice(1));
  });

  it("decodes without clean-up, keeping or skipping special tokens", () => {
    const tokenizer = createHfPretrainedTokenizer(files("byte-level"));
    const ids = tokenizer.encode("<|im_start|>a , b<|im_end|>", { add_special_tokens: false });
    const options = { clean_up_tokenization_spaces: false };
    expect(tokenizer.decode(ids, options)).toBe("<|im_start|>a , b<|im_end|>");
    expect(tokenizer.decode(ids, { ...options, skip_special_tokens: true })).toBe("a , b");
    expect(tokenizer.decode(ids, { skip_special_tokens: true, clean_up_tokenization_spaces: true })).toBe(
      "a, b",
    );
    expect(tokenizer.decode([], options)).toBe("");
  });

  it("renders chat templates with transformers.js's variables", () => {
    const { tokenizerJson, tokenizerConfig } = files();
    const template =
      "{{ bos_token }}{% for m in messages %}{{ m.role }}={{ m.content }}{{ eos_token }}{% endfor %}" +
      "{% if add_generation_prompt %}assistant={% endif %}|{{ pad_token }}|{{ unk_token }}|{{ tools is none }}|{{ documents is none }}";
    const tokenizer = createHfPretrainedTokenizer({
      tokenizerJson,
      tokenizerConfig: { ...tokenizerConfig, chat_template: template },
    });
    const messages = [{ role: "user", content: "hi" }];
    expect(tokenizer.apply_chat_template(messages, { add_generation_prompt: true })).toBe(
      "<s>user=hi</s>assistant=|<pad>|<unk>|true|true",
    );
    expect(tokenizer.apply_chat_template(messages)).toBe("<s>user=hi</s>|<pad>|<unk>|true|true");
  });

  it("picks the default of several named templates; chatTemplate only fills in for a config without one", () => {
    const { tokenizerJson, tokenizerConfig } = files();
    const named = (templates: Array<{ name: string; template: string }>) =>
      createHfPretrainedTokenizer({
        tokenizerJson,
        tokenizerConfig: { ...tokenizerConfig, chat_template: templates },
        chatTemplate: "from the folder",
      });
    const both = named([
      { name: "tool_use", template: "tools" },
      { name: "default", template: "plain" },
    ]);
    expect(both.apply_chat_template([])).toBe("plain");
    const noDefault = named([{ name: "tool_use", template: "tools" }]);
    expect(thrown(() => noDefault.apply_chat_template([]), "INVALID_INPUT").message).toContain(
      'several chat templates (tool_use) and none named "default"',
    );
    const { chat_template: _, ...withoutTemplate } = tokenizerConfig;
    const fallback = createHfPretrainedTokenizer({
      tokenizerJson,
      tokenizerConfig: withoutTemplate,
      chatTemplate: "folder",
    });
    expect(fallback.apply_chat_template([])).toBe("folder");
    expect(named([]).apply_chat_template([])).toBe("from the folder");
  });

  it("a template that does not parse fails on use; one that refuses the messages is INVALID_INPUT", () => {
    const { tokenizerJson, tokenizerConfig } = files();
    const withTemplate = (chat_template: string) =>
      createHfPretrainedTokenizer({ tokenizerJson, tokenizerConfig: { ...tokenizerConfig, chat_template } });
    const broken = withTemplate("{% for m in messages %}");
    expect(thrown(() => broken.apply_chat_template([]), "MODEL_LOAD_FAILED").message).toContain(
      "does not parse",
    );
    const strict = withTemplate(
      "{% if messages[0].role != 'system' %}{{ raise_exception('system first') }}{% endif %}",
    );
    expect(
      thrown(() => strict.apply_chat_template([{ role: "user", content: "x" }]), "INVALID_INPUT").message,
    ).toContain("system first");
  });

  it("malformed files are MODEL_LOAD_FAILED naming the source", () => {
    const { tokenizerJson, tokenizerConfig } = files();
    const { model: _, ...noModel } = tokenizerJson;
    expect(
      thrown(() => createHfPretrainedTokenizer({ tokenizerJson: noModel }, "org/name"), "MODEL_LOAD_FAILED")
        .message,
    ).toMatch(/^Cannot load the tokenizer of org\/name: .*model/);
    const badToken = { ...tokenizerConfig, eos_token: { id: 2 } };
    expect(
      thrown(
        () => createHfPretrainedTokenizer({ tokenizerJson, tokenizerConfig: badToken }),
        "MODEL_LOAD_FAILED",
      ).message,
    ).toContain('"eos_token" is an object without a "content" string');
    const badTemplate = { ...tokenizerConfig, chat_template: [{ name: "default" }] };
    thrown(
      () => createHfPretrainedTokenizer({ tokenizerJson, tokenizerConfig: badTemplate }),
      "MODEL_LOAD_FAILED",
    );
    thrown(
      () => createHfPretrainedTokenizer({ tokenizerJson: [] as unknown as Record<string, unknown> }),
      "MODEL_LOAD_FAILED",
    );
  });
});
