// Starts `kprules lsp` (or the command in the setting `kprules.server.command`) for .kpr files.
"use strict";
const vscode = require("vscode");
const { LanguageClient } = require("vscode-languageclient/node");

let client;

function activate(context) {
  const [command, ...args] = vscode.workspace
    .getConfiguration("kprules")
    .get("server.command", ["kprules", "lsp"]);
  const server = { command, args };
  client = new LanguageClient(
    "kprules",
    "kprules language server",
    { run: server, debug: server },
    { documentSelector: [{ scheme: "file", language: "kprules" }] }
  );
  context.subscriptions.push(client);
  return client.start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
