import { useSession } from "./session-store";

export function SignedOutPage() {
  const message = useSession((state) => state.message);
  return (
    <main className="signed-out">
      <h1>agentboard</h1>
      {message ? (
        <p className="signed-out__message" role="alert">
          {message}
        </p>
      ) : null}
      <p>
        Open the one-time login URL that <code>agentboard start</code> printed. Need a new one? Run{" "}
        <code>npx agentboard login-url</code>.
      </p>
    </main>
  );
}
