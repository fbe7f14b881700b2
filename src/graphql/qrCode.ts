/**
 * A QR code as an SVG document, for the hosted sign-in page: its CSP allows no image source
 * (img-src 'none') and no script library, so the server draws the code. The SVG qrcode makes
 * uses presentation attributes only (fill, stroke, shape-rendering), never a `style`
 * attribute, which the page's CSP would block.
 */
import QRCode from "qrcode";

/** Error correction M (15 %) and a one-module margin: the page adds its own white quiet zone. */
export function qrCodeSvg(text: string): Promise<string> {
  return QRCode.toString(text, { type: "svg", errorCorrectionLevel: "M", margin: 1 });
}
