// The <agent-licensing-console> custom element, and the one place a host page loads
// the console's wasm module from. See docs/EMBEDDING.md.
//
//   <script type="module" src="/agent-licensing-console-element.js"></script>
//   <agent-licensing-console api-base="/api/v1" token="..." routing="memory"
//       base-path="" theme='{"--alc-accent": "#0a7"}'></agent-licensing-console>
//
// or, from a script: import { mount } from "/agent-licensing-console-element.js";
// const handle = await mount(element, { apiBase, token, fetchToken, basePath, routing, theme });
// ... handle.setToken(newToken); ... handle.unmount();
//
// A new token (setToken, or a changed `token` attribute) takes effect without
// remounting; `fetchToken` (a property of the element, an option of mount()) is called
// once when the server refuses the token. The console's events (alc-ready, alc-error,
// alc-session-expired, alc-navigate, alc-dirty-change) bubble from the element.

import init, { mount as mountNow } from "./agent-licensing-console.js";

// Start loading the module as soon as the page imports this file; the wasm file is
// found next to the module (agent-licensing-console_bg.wasm).
const ready = init();

/** Mounts the console into `element` (see `mount` in src/embed.rs for the options). */
export async function mount(element, options) {
  await ready;
  return mountNow(element, options);
}

const ATTRIBUTES = ["api-base", "token", "base-path", "routing", "theme"];

class AgentLicensingConsole extends HTMLElement {
  static observedAttributes = ATTRIBUTES;

  #handle = null;
  // Bumped by every (re)mount request and by removal, so that only the latest request
  // mounts once the module is ready.
  #generation = 0;
  // The token set by setToken() (it wins over the attribute until the attribute
  // changes), and the fetchToken callback.
  #token = undefined;
  #fetchToken = undefined;

  connectedCallback() {
    this.#render();
  }

  disconnectedCallback() {
    this.#generation++;
    this.#unmount();
  }

  // A new token goes to the mounted console; any other option is read at mount time,
  // so changing it remounts (unsaved ticks are lost).
  attributeChangedCallback(name, before, after) {
    if (before === after) return;
    if (name === "token") {
      this.#token = undefined;
      if (this.#handle) {
        this.#handle.setToken(after ?? undefined);
        return;
      }
    }
    if (this.isConnected) this.#render();
  }

  /** Gives the console a new bearer token, without remounting it. */
  setToken(token) {
    this.#token = token ?? null;
    this.#handle?.setToken(token ?? undefined);
  }

  /** `async () => token`: called once when the server refuses the token. */
  get fetchToken() {
    return this.#fetchToken;
  }

  set fetchToken(f) {
    this.#fetchToken = f ?? undefined;
    this.#handle?.setFetchToken(f ?? null);
  }

  /** The mount options the attributes describe. */
  get options() {
    let theme;
    const json = this.getAttribute("theme");
    if (json) {
      try {
        theme = JSON.parse(json);
      } catch (e) {
        console.warn("agent-licensing-console: theme is not JSON, ignored:", e.message);
      }
    }
    return {
      apiBase: this.getAttribute("api-base") ?? undefined,
      token: (this.#token === undefined ? this.getAttribute("token") : this.#token) ?? undefined,
      fetchToken: this.#fetchToken,
      basePath: this.getAttribute("base-path") ?? undefined,
      routing: this.getAttribute("routing") ?? undefined,
      theme,
    };
  }

  async #render() {
    const generation = ++this.#generation;
    await ready;
    if (generation !== this.#generation || !this.isConnected) return;
    this.#unmount();
    try {
      this.#handle = mountNow(this, this.options);
    } catch (e) {
      console.error("agent-licensing-console: cannot mount:", e);
    }
  }

  #unmount() {
    if (this.#handle) {
      this.#handle.unmount();
      this.#handle.free();
      this.#handle = null;
    }
  }
}

if (!customElements.get("agent-licensing-console")) {
  customElements.define("agent-licensing-console", AgentLicensingConsole);
}
