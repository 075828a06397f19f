// markdown-it's international-domain conversion, left out of the page: the
// browser converts a link's host itself when it is followed.
const identity = (text: string): string => text;
export default { toASCII: identity, toUnicode: identity };
