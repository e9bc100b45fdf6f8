// The Next.js side: an ordinary page. Its client would connect to '/pushwire' on the same origin.
export default function Home() {
  return <h1>Next.js + Pushwire</h1>;
}
