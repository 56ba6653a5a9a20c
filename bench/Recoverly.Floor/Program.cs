// The floor: the least work a missed call can cost on this machine, served where the load benchmark expects the app
// (docs/benchmarks.md, "The floor"). Per call: one signed webhook checked with the Twilio package's validator, one
// statement that finds the business by the called number and records the call (autocommit), one provider request, and
// one statement that records the send. Nothing else: no pacing, consent, daily cap, leases, retries or outbox (a text
// is queued in memory and lost with the process). It shows what the targets leave for everything the product
// must do on top; it is not a design to adopt.
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using Npgsql;
using Recoverly.Data;
using Twilio.Security;

var builder = WebApplication.CreateSlimBuilder(args);
var config = builder.Configuration;
string Required(string key) => config[key] is { Length: > 0 } v ? v : throw new InvalidOperationException($"{key} is required");
var connectionString = Required("ConnectionStrings:Recoverly");
var accountSid = Required("Twilio:AccountSid");
var authToken = Required("Twilio:AuthToken");
var apiBase = Required("Twilio:ApiBaseUrl").TrimEnd('/');
var voiceUrl = Required("Recoverly:PublicBaseUrl").TrimEnd('/') + "/twilio/voice";
var texts = !bool.TryParse(config["Floor:Texts"], out var t) || t;
var senders = int.TryParse(config["Floor:Senders"], NumberStyles.None, CultureInfo.InvariantCulture, out var s) && s > 0 ? s : 16;

// The app's own connection defaults (docs/deploy.md, "Connections"), so the comparison is about the work.
await using var db = NpgsqlDataSource.Create(DatabaseSetup.PreparePostgres(connectionString));
var queue = Channel.CreateUnbounded<QueuedText>(new UnboundedChannelOptions { SingleWriter = false, SingleReader = false });
using var provider = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) })
{
    BaseAddress = new Uri(apiBase + $"/2010-04-01/Accounts/{accountSid}/"),
};
provider.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic",
    Convert.ToBase64String(Encoding.UTF8.GetBytes($"{accountSid}:{authToken}")));

const string RecordCall = """
    INSERT INTO floor_calls (call_sid, number_id, caller, sender, created_at)
    SELECT $1, n."Id", $2, n."E164", now() FROM "Numbers" n WHERE n."E164" = $3
    ON CONFLICT (call_sid) DO NOTHING
    RETURNING id
    """;
const string RecordSend = "UPDATE floor_calls SET provider_sid = $2, sent_at = now() WHERE id = $1";
const string TwiML = """<?xml version="1.0" encoding="UTF-8"?><Response><Say>Sorry we missed your call. We will text you right away.</Say><Hangup/></Response>""";

await using (var setup = db.CreateCommand("""
    CREATE TABLE IF NOT EXISTS floor_calls (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        call_sid text NOT NULL UNIQUE,
        number_id bigint NOT NULL,
        caller text NOT NULL,
        sender text NOT NULL,
        created_at timestamptz NOT NULL,
        provider_sid text,
        sent_at timestamptz)
    """))
{
    await setup.ExecuteNonQueryAsync();
}

var app = builder.Build();
var validator = new RequestValidator(authToken);

app.MapGet("/healthz", () => Results.Text("""{"status":"ok","floor":true}""", "application/json"));
app.MapPost("/twilio/voice", async (HttpContext http) =>
{
    var form = await http.Request.ReadFormAsync(http.RequestAborted);
    var parameters = form.ToDictionary(kv => kv.Key, kv => kv.Value.ToString(), StringComparer.Ordinal);
    if (!validator.Validate(voiceUrl, parameters, http.Request.Headers["X-Twilio-Signature"].ToString()))
        return Results.StatusCode(StatusCodes.Status403Forbidden);
    if (!parameters.TryGetValue("CallSid", out var callSid) || !parameters.TryGetValue("From", out var from) || !parameters.TryGetValue("To", out var to))
        return Results.BadRequest("CallSid, From and To are required");

    await using var command = db.CreateCommand(RecordCall);
    command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = callSid });
    command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = from });
    command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = to });
    // Null: a number nobody holds, or Twilio's retry of a call already recorded; neither is texted.
    if (await command.ExecuteScalarAsync(http.RequestAborted) is long id && texts)
        queue.Writer.TryWrite(new QueuedText(id, from, to));
    return Results.Text(TwiML, "text/xml");
});

var stopping = app.Lifetime.ApplicationStopping;
var sendLoops = Enumerable.Range(0, senders).Select(_ => Task.Run(() => SendLoopAsync(stopping))).ToArray();
await app.RunAsync();
await Task.WhenAll(sendLoops);

async Task SendLoopAsync(CancellationToken ct)
{
    try
    {
        await foreach (var text in queue.Reader.ReadAllAsync(ct))
        {
            try
            {
                await SendAsync(text, ct);
            }
            catch (Exception e) when (e is HttpRequestException or NpgsqlException or JsonException or InvalidOperationException)
            {
                app.Logger.LogWarning("floor: send {Id} failed: {Error}", text.Id, e.GetType().Name);
            }
        }
    }
    catch (OperationCanceledException) when (ct.IsCancellationRequested)
    {
        // Shutting down: whatever is queued is lost, as the header says.
    }
}

async Task SendAsync(QueuedText text, CancellationToken ct)
{
    using var form = new FormUrlEncodedContent([
        new("To", text.To),
        new("From", text.From),
        new("Body", "Sorry we missed your call! This is Bench Plumbing. How can we help? Reply STOP to opt out."),
    ]);
    using var response = await provider.PostAsync("Messages.json", form, ct);
    response.EnsureSuccessStatusCode();
    await using var body = await response.Content.ReadAsStreamAsync(ct);
    using var json = await JsonDocument.ParseAsync(body, cancellationToken: ct);
    var sid = json.RootElement.GetProperty("sid").GetString() ?? throw new InvalidOperationException("no sid in the provider's answer");

    await using var command = db.CreateCommand(RecordSend);
    command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = text.Id });
    command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = sid });
    await command.ExecuteNonQueryAsync(ct);
}

/// <summary>A text to send: to the caller, from the number they called.</summary>
internal sealed record QueuedText(long Id, string To, string From);
