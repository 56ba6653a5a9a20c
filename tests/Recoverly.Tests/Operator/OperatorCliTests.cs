using System.Diagnostics;
using System.Net;
using Microsoft.EntityFrameworkCore;
using Recoverly.Tests.Infrastructure;

namespace Recoverly.Tests.Operator;

public class OperatorCliTests
{
    private static async Task<(int Exit, string Out, string Err)> RunCliAsync(TestApp app, string? stdin, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true,
            Environment =
            {
                ["Database__Provider"] = app.Db.ToString(),
                ["ConnectionStrings__Recoverly"] = app.ConnectionString,
                ["DOTNET_NOLOGO"] = "1",
            },
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Recoverly.dll"));
        foreach (var a in args) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        if (stdin is not null) await process.StandardInput.WriteLineAsync(stdin);
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3)); // bounds a failure only
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"`{string.Join(' ', args)}` did not finish in 3 minutes: {await stderr}");
        }
        return (process.ExitCode, await stdout, await stderr);
    }

    [Fact]
    public async Task Operator_add_creates_a_login_that_can_open_the_operator_pages()
    {
        await using var app = await TestApp.StartAsync(Db.Sqlite);

        var (exit, output, _) = await RunCliAsync(app, "a long operator password", "operator", "add", "--email", "Ops@Example.com", "--password-stdin");

        Assert.Equal(0, exit);
        Assert.Contains("Operator ops@example.com ready", output);
        Assert.True(await app.QueryAsync(d => d.OwnerAccounts.AnyAsync(a => a.Email == "ops@example.com" && a.IsOperator)));
        using var op = await OwnerClient.LogInAsync(app, "ops@example.com", "a long operator password");
        Assert.Equal(HttpStatusCode.OK, (await op.Http.GetAsync("/operator")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await op.Http.GetAsync("/operator/registration")).StatusCode);
    }

    [Fact]
    public async Task Operator_add_refuses_bad_input_in_one_line_and_writes_nothing()
    {
        await using var app = await TestApp.StartAsync(Db.Sqlite);

        var noPassword = await RunCliAsync(app, null, "operator", "add", "--email", "new@example.com");
        var shortPassword = await RunCliAsync(app, "short", "operator", "add", "--email", "new@example.com", "--password-stdin");
        var badEmail = await RunCliAsync(app, "a long operator password", "operator", "add", "--email", "not-an-email", "--password-stdin");

        foreach (var (exit, output, error) in new[] { noPassword, shortPassword, badEmail })
        {
            Assert.Equal(2, exit);
            Assert.Equal("", output);
            Assert.StartsWith("error: ", error);
            Assert.Single(error.Trim().Split('\n'));
        }
        Assert.Equal(0, await app.QueryAsync(d => d.OwnerAccounts.CountAsync()));
    }

    [Fact]
    public async Task Operator_remove_ends_the_operators_sessions_at_once()
    {
        await using var app = await TestApp.StartAsync(Db.Sqlite);
        using var op = await OwnerClient.SignInAsync(app, null, isOperator: true, email: "ops@example.com");
        Assert.Equal(HttpStatusCode.OK, (await op.Http.GetAsync("/operator")).StatusCode);

        var (exit, output, _) = await RunCliAsync(app, null, "operator", "remove", "--email", "ops@example.com");
        var (unknownExit, unknownOutput, unknownError) = await RunCliAsync(app, null, "operator", "remove", "--email", "nobody@example.com");

        Assert.Equal(0, exit);
        Assert.Contains("no longer an operator; 1 session ended", output);
        var after = await op.Http.GetAsync("/operator");
        Assert.Equal(HttpStatusCode.Redirect, after.StatusCode);
        Assert.StartsWith("http://localhost/login", after.Headers.Location!.OriginalString);
        Assert.False(await app.QueryAsync(d => d.OwnerAccounts.AnyAsync(a => a.IsOperator)));
        Assert.Equal(0, await app.QueryAsync(d => d.LoginSessions.CountAsync()));
        Assert.Equal((2, ""), (unknownExit, unknownOutput));
        Assert.Single(unknownError.Trim().Split('\n'));
    }
}
