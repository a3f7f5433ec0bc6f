create table articulos (id serial primary key, titulo text not null, fuente text not null, publicado timestamptz not null, sentimiento real);
insert into articulos (titulo, fuente, publicado, sentimiento)
select 'Noticia ' || g, (array['El Pais','ABC','La Vanguardia'])[1 + g % 3], now() - (g || ' hours')::interval, (g % 10) / 10.0
from generate_series(1, 120) g;
