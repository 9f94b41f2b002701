# Um servidor asyncio como o da Etapa 3 do roteiro: uma única thread, um laço de eventos.
# `npx socklab check examples/server_async.py` mede os critérios da entrega.
import asyncio

HOST = "127.0.0.1"
PORT = 65432
ESPERA = 5  # asyncio.sleep suspende só a corrotina; o laço segue atendendo os outros


async def handle_client(reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
    addr = writer.get_extra_info("peername")
    print(f"[NOVA CONEXÃO] {addr}", flush=True)
    dados = await reader.read(1024)
    await asyncio.sleep(ESPERA)
    writer.write(dados)
    await writer.drain()
    writer.close()
    await writer.wait_closed()
    print(f"[DESCONECTADO] {addr}", flush=True)


async def main():
    server = await asyncio.start_server(handle_client, HOST, PORT)
    print(f"[ASSÍNCRONO] Servidor rodando em {HOST}:{PORT} — Event Loop ativo.", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main())
