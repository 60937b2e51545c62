// links.js reads one JSON string per line on standard input and writes, for
// each, one line: the JSON array of the links linkify-it (markdown-it's
// autolinker, with fuzzy links, fuzzy e-mail and fuzzy IP addresses on)
// finds in it.
const LinkifyIt = require("linkify-it");
const linkify = new LinkifyIt({ fuzzyLink: true, fuzzyEmail: true, fuzzyIP: true });
const rl = require("readline").createInterface({ input: process.stdin });
rl.on("line", (line) => {
  const text = JSON.parse(line);
  const found = linkify.match(text) || [];
  process.stdout.write(JSON.stringify(found.map((m) => m.url)) + "\n");
});
