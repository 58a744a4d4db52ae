#!/usr/bin/python3
"""Renders chat templates with Python's Jinja2 the way HF transformers does, for
backend/tokenizer's byte-identity test.

transformers (apply_chat_template) compiles the template in an
ImmutableSandboxedEnvironment with trim_blocks, lstrip_blocks and the loopcontrols
extension, replaces the tojson filter with json.dumps(ensure_ascii=False), and passes
the messages, add_generation_prompt, the special tokens by name, raise_exception and
strftime_now. strftime_now here reports a fixed date so the output is reproducible.

Usage (after scripts/testdata/tokenizers.sh):
  /usr/bin/python3 chat_oracle.py ../../.cache/testdata/tokenizers \
      > ../../backend/tokenizer/testdata/chat_templates.json
"""

import datetime
import hashlib
import json
import os
import sys

import jinja2
from jinja2.ext import loopcontrols
from jinja2.sandbox import ImmutableSandboxedEnvironment

FIXED_NOW = datetime.datetime(2026, 3, 1, 9, 30, 0)


def render(source, messages, add_generation_prompt, special_tokens, extra):
    def raise_exception(message):
        raise jinja2.exceptions.TemplateError(message)

    def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
        return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent,
                          separators=separators, sort_keys=sort_keys)

    def strftime_now(fmt):
        return FIXED_NOW.strftime(fmt)

    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True,
                                        extensions=[loopcontrols])
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    env.globals["strftime_now"] = strftime_now
    template = env.from_string(source)
    return template.render(messages=messages, add_generation_prompt=add_generation_prompt,
                           **special_tokens, **extra)


def conversations():
    """Yields (name, messages, add_generation_prompt, extra variables)."""
    hello = [{"role": "user", "content": "Hello!"}]
    system = [{"role": "system", "content": "You are a concise assistant."}]
    korean = [{"role": "user", "content": "  안녕하세요? 온도를 설명해 주세요.  \n"}]
    multi = [
        {"role": "user", "content": "What does top_p do?"},
        {"role": "assistant", "content": "It keeps the smallest set of tokens whose "
                                         "probabilities add up to p."},
        {"role": "user", "content": "And min_p?\n\n"},
    ]
    thinking = [
        {"role": "user", "content": "2+2?"},
        {"role": "assistant", "content": "<think>\nAdd them.\n</think>\n\n4"},
        {"role": "user", "content": "x**2  # and this?"},
    ]
    yield "user", hello, True, {}
    yield "user-no-prompt", hello, False, {}
    yield "system-user", system + hello, True, {}
    yield "system-korean", system + korean, True, {}
    yield "multi-turn", multi, True, {}
    yield "system-multi-turn", system + multi, True, {}
    yield "multi-turn-no-prompt", system + multi, False, {}
    yield "thinking-history", thinking, True, {}
    yield "date-string", system + hello, True, {"date_string": "26 Jul 2024"}
    yield "enable-thinking-false", hello, True, {"enable_thinking": False}
    yield "special-text", [{"role": "user", "content": "Say <|eot_id|> and {{ x }} {% raw %}"}], True, {}
    # Tools exercise the tojson filter (with and without indent). Keys are in sorted
    # order at every level: Go maps have no order, and pythonToJSON sorts them.
    tools = [{
        "function": {
            "description": "Réglage du bouton « température » 🌡",
            "name": "set_knob",
            "parameters": {
                "properties": {
                    "name": {"enum": ["temperature", "top_p"], "type": "string"},
                    "value": {"maximum": 2.5, "minimum": 0.0, "type": "number"},
                },
                "required": ["name", "value"],
                "type": "object",
            },
        },
        "type": "function",
    }]
    yield "tools", system + hello, True, {"tools": tools}


def main():
    data = sys.argv[1]
    with open(os.path.join(data, "templates", "meta-llama-Llama-3.2-3B-Instruct.jinja")) as f:
        llama32 = f.read()
    with open(os.path.join(data, "templates", "meta-llama-Llama-3.1-8B-Instruct.jinja")) as f:
        llama31 = f.read()
    with open(os.path.join(data, "llama3", "tokenizer_config.json")) as f:
        llama3 = json.load(f)["chat_template"]
    with open(os.path.join(data, "qwen3", "tokenizer_config.json")) as f:
        qwen3 = json.load(f)["chat_template"]
    llama_tokens = {"bos_token": "<|begin_of_text|>", "eos_token": "<|eot_id|>"}
    templates = {
        "llama3.2": (llama32, llama_tokens),
        "llama3.1": (llama31, llama_tokens),
        "llama3": (llama3, llama_tokens),
        "qwen3": (qwen3, {"eos_token": "<|im_end|>", "pad_token": "<|endoftext|>"}),
    }
    cases = []
    for tname, (source, special) in templates.items():
        for name, messages, gen, extra in conversations():
            cases.append({
                "template": tname,
                "name": name,
                "messages": messages,
                "add_generation_prompt": gen,
                "vars": extra,
                "output": render(source, messages, gen, special, extra),
            })
    out = {
        "oracle": "jinja2 " + jinja2.__version__,
        "now": FIXED_NOW.isoformat(),
        "templates": {k: {"sha256": hashlib.sha256(v[0].encode()).hexdigest(), "special_tokens": v[1]}
                      for k, v in templates.items()},
        "cases": cases,
    }
    json.dump(out, sys.stdout, ensure_ascii=False, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
