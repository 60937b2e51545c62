// decode.js reads images from standard input and, for each, writes one
// line: the JSON string of the text of the QR Code jsQR finds in it, or
// null. Each image is a header line "<width> <height>\n" followed by
// width*height*4 bytes of RGBA (what qr's tests write after decoding a PNG
// and compositing it over a page). jsQR tries the image and its negative
// ("attemptBoth").
const jsQR = require("jsqr");
let buf = Buffer.alloc(0);
process.stdin.on("data", (c) => {
  buf = Buffer.concat([buf, c]);
  for (;;) {
    const nl = buf.indexOf(10);
    if (nl < 0) return;
    const [w, h] = buf.subarray(0, nl).toString().trim().split(" ").map(Number);
    const end = nl + 1 + w * h * 4;
    if (buf.length < end) return;
    const data = new Uint8ClampedArray(buf.subarray(nl + 1, end));
    buf = buf.subarray(end);
    const code = jsQR(data, w, h, { inversionAttempts: "attemptBoth" });
    process.stdout.write(JSON.stringify(code ? code.data : null) + "\n");
  }
});
